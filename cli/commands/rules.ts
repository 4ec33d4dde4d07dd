import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { DETECTION_PACKS, RULES_DIR_SETTING } from '../../detections/registry';
import { readRulesFolder } from '../../detections/team-rules/load';
import { CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { printResult } from '../output';

export function register(program: Command, context: CliContext): void {
  const rules = program.command('rules').description("a team's own detection rules: YAML packs in the folder DETECTION_RULES_DIR names");
  rules
    .command('check')
    .description('check a rules folder without a database: one line per problem, naming the file and field')
    .argument('[folder]', `the rules folder (default: ${RULES_DIR_SETTING})`)
    .action((folder: string | undefined) => check(context, folder));
}

function check(context: CliContext, folderArgument: string | undefined): void {
  const folder = folderArgument ?? process.env[RULES_DIR_SETTING];
  if (!folder) throw new OperatorError(`give a rules folder, or set ${RULES_DIR_SETTING}`);
  const { packs, suppressions, problems } = readRulesFolder(folder, DETECTION_PACKS);
  if (problems.length > 0) {
    // Every problem at once, each as the refusal line the worker would stop on: a team fixes a folder in one pass.
    for (const problem of problems) process.stderr.write(`error: ${problem}\n`);
    process.exitCode = EXIT.operatorError;
    return;
  }
  const ruleCount = packs.reduce((n, pack) => n + pack.rules.length, 0);
  printResult(
    context.outputFormat(),
    { folder, packs: packs.map((pack) => ({ id: pack.id, rules: pack.rules.map((rule) => rule.id) })), suppressions: suppressions.map((s) => s.rule), problems: [] },
    `${folder}: ${packs.length} pack(s) (${packs.map((p) => p.id).join(', ') || 'none'}), ${ruleCount} rule(s), ${suppressions.length} allowlist(s): no problems`,
  );
}
