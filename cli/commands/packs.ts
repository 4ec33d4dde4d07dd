import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { fixtureGaps } from '../../detections/fixture-coverage';
import { builtInFixturesDir, FixtureFileError, loadFixtureFolder } from '../../detections/fixture-file';
import { runRuleFixtures, type CaseResult } from '../../detections/fixture-runner';
import { DETECTION_PACKS, detectionPacks, rulesOfPacks } from '../../detections/registry';
import { DEFAULT_GROUP_SECONDS } from '../../detections/rule';
import { formatDuration } from '../../contract/durations';
import { rescanStoredEvents } from '../../detections/rescan';
import { disablePack, enablePack, listEnabledPacks, loadDetectionSettings, saveDetectionSettings } from '../../detections/store';
import { CliContext } from '../context';
import { requireLiveSource, requireSource } from '../lookup';
import { formatTime, printJson, printLine, printResult, printTable } from '../output';
import { parseDomainList, parseGroupPeriods, parsePackId, parseRescanDays } from '../pack-inputs';
import { parseSourceName } from '../inputs';

interface ListOptions {
  source?: string;
  rules?: boolean;
}

interface EnableOptions {
  source: string;
  rescanDays?: string;
  allowedInviteDomains?: string;
  groupPeriod?: string;
}

export function register(program: Command, context: CliContext): void {
  const packs = program.command('packs').description('detection packs: rules over the audit events that raise alerts on risky admin activity');
  packs
    .command('list')
    .description('list the detection packs and the sources they are enabled for')
    .option('--source <name>', 'only this source, with its detection settings')
    .option('--rules', 'list each rule of each pack')
    .action((options: ListOptions) => listPacks(context, options));
  packs
    .command('enable')
    .description("enable a pack for a source: it evaluates the source's new events from now on")
    .argument('<pack>', 'pack id (see `packs list`)')
    .requiredOption('--source <name>', 'source name')
    .option('--rescan-days <days>', 'also evaluate the stored events of the last N days now')
    .option('--allowed-invite-domains <domains>', "comma-separated e-mail domains invitations may go to (default: the inviting admin's)")
    .option('--group-period <rule=duration,...>', "how long after a group's first detection others of the rule and subject join its alert (rule=default: the rule's own)")
    .action((packId: string, options: EnableOptions) => enable(context, packId, options));
  packs
    .command('disable')
    .description('disable a pack for a source: its rules stop evaluating new events; past detections stay')
    .argument('<pack>', 'pack id')
    .requiredOption('--source <name>', 'source name')
    .action((packId: string, options: { source: string }) => disable(context, packId, options));
  packs
    .command('test')
    .description("run the rules' fixtures through the detection engine, in transactions that are rolled back: one line per case; exit 1 on any failure")
    .option('--rules <dir>', "a team's rules folder: run the fixtures of its fixtures/ folder (default: the built-in rules')")
    .action((options: { rules?: string }) => testFixtures(context, options));
}

async function listPacks(context: CliContext, options: ListOptions): Promise<void> {
  const sourceName = options.source !== undefined ? parseSourceName(options.source) : undefined;
  const db = await context.database();
  const source = sourceName !== undefined ? await requireSource(db, sourceName) : undefined;
  const enabled = (await listEnabledPacks(db)).filter((row) => !source || row.sourceId === source.id);
  const packs = detectionPacks().map((pack) => ({
    id: pack.id,
    title: pack.title,
    description: pack.description,
    enabledFor: enabled.filter((row) => row.packId === pack.id).map((row) => ({ source: row.sourceName, enabledAt: row.enabledAt.toISOString() })),
    rules: pack.rules.map((rule) => ({
      id: rule.id,
      title: rule.title,
      severity: rule.severity,
      kind: rule.kind,
      dedupSeconds: rule.dedupSeconds,
      groupSeconds: rule.groupSeconds ?? DEFAULT_GROUP_SECONDS,
      description: rule.description,
    })),
  }));
  const settings = source ? await loadDetectionSettings(db, source.id) : undefined;
  if (context.outputFormat() === 'json') return printJson(source ? { source: source.name, settings, packs } : { packs });

  printTable(
    ['PACK', 'RULES', source ? 'ENABLED SINCE' : 'ENABLED FOR', 'TITLE'],
    packs.map((pack) => [
      pack.id,
      String(pack.rules.length),
      source ? formatTime(pack.enabledFor[0]?.enabledAt) : pack.enabledFor.map((e) => e.source).join(',') || '-',
      pack.title,
    ]),
  );
  if (settings) {
    printLine(`allowed invitation domains for ${source!.name}: ${settings.allowedInviteDomains.join(', ') || "(the inviting admin's own)"}`);
    const periods = Object.entries(settings.groupPeriods).map(([ruleId, seconds]) => `${ruleId}=${formatDuration(seconds)}`);
    printLine(`grouping periods set for ${source!.name}: ${periods.join(', ') || "(each rule's own)"}`);
  }
  if (options.rules) {
    printLine('');
    printTable(
      ['PACK', 'RULE', 'SEVERITY', 'TITLE'],
      packs.flatMap((pack) => pack.rules.map((rule) => [pack.id, rule.id, rule.severity, rule.title])),
    );
  }
}

async function enable(context: CliContext, packId: string, options: EnableOptions): Promise<void> {
  const pack = parsePackId(packId);
  const sourceName = parseSourceName(options.source);
  const rescanDays = options.rescanDays !== undefined ? parseRescanDays(options.rescanDays) : undefined;
  const allowedInviteDomains = options.allowedInviteDomains !== undefined ? parseDomainList(options.allowedInviteDomains) : undefined;
  const periodChanges = options.groupPeriod !== undefined ? parseGroupPeriods(pack, options.groupPeriod) : undefined;
  const db = await context.database();
  const source = await requireLiveSource(db, sourceName);

  const groupPeriods = periodChanges && withPeriodChanges((await loadDetectionSettings(db, source.id)).groupPeriods, periodChanges);
  if (allowedInviteDomains !== undefined || groupPeriods !== undefined) await saveDetectionSettings(db, source.id, { allowedInviteDomains, groupPeriods });
  const newlyEnabled = await enablePack(db, source.id, pack.id);
  const state = newlyEnabled ? `enabled pack ${pack.id} (${pack.rules.length} rules) for source ${source.name}` : `pack ${pack.id} was already enabled for source ${source.name}`;
  const domains = allowedInviteDomains !== undefined ? `; allowed invitation domains: ${allowedInviteDomains.join(', ') || "the inviting admin's own"}` : '';
  const periods = periodChanges ? `; grouping periods: ${Object.entries(periodChanges).map(([ruleId, s]) => `${ruleId}=${s === null ? 'default' : formatDuration(s)}`).join(', ')}` : '';
  const enabled = { action: 'enable-pack', source: source.name, pack: pack.id, newlyEnabled, allowedInviteDomains: allowedInviteDomains ?? null, groupPeriods: groupPeriods ?? null };
  if (rescanDays === undefined) {
    return printResult(context.outputFormat(), { ...enabled, rescan: null }, `${state}${domains}${periods}; it evaluates new events (--rescan-days N also evaluates stored ones)`);
  }
  const result = await rescanStoredEvents(db, source, [pack.id], rescanDays);
  printResult(
    context.outputFormat(),
    { ...enabled, rescan: { days: rescanDays, eventsEvaluated: result.eventsEvaluated, detections: result.detections, alertsOpened: result.alertsOpened } },
    `${state}${domains}${periods}; rescanned ${result.eventsEvaluated} stored events of the last ${rescanDays} days: ${result.detections} new detections, ` +
      `${result.alertsOpened} new alerts (the others joined open ones)`,
  );
}

/** The source's stored periods with the operator's changes: a null change removes the rule's entry. */
function withPeriodChanges(stored: Readonly<Record<string, number>>, changes: Record<string, number | null>): Record<string, number> {
  const periods = { ...stored };
  for (const [ruleId, seconds] of Object.entries(changes)) {
    if (seconds === null) delete periods[ruleId];
    else periods[ruleId] = seconds;
  }
  return periods;
}

async function disable(context: CliContext, packId: string, options: { source: string }): Promise<void> {
  const pack = parsePackId(packId);
  const sourceName = parseSourceName(options.source);
  const db = await context.database();
  const source = await requireSource(db, sourceName);
  const wasEnabled = await disablePack(db, source.id, pack.id);
  printResult(context.outputFormat(), { action: 'disable-pack', source: source.name, pack: pack.id, wasEnabled }, wasEnabled ? `disabled pack ${pack.id} for source ${source.name}; its past detections stay` : `pack ${pack.id} was not enabled for source ${source.name}`);
}

/**
 * Runs the fixtures of a set of rules through the real engine. Without --rules: the shipped packs, each of whose rules
 * must have fixtures. With --rules DIR: the team's packs of that folder (loaded as workers load them, with its
 * allowlists), each of whose rules must have fixtures in DIR/fixtures/.
 */
async function testFixtures(context: CliContext, options: { rules?: string }): Promise<void> {
  const dir = options.rules !== undefined ? path.join(options.rules, 'fixtures') : asOperatorError(builtInFixturesDir);
  if (!existsSync(dir)) throw new OperatorError(`--rules ${options.rules}: no fixtures/ folder there: fixtures live in <rules folder>/fixtures/<rule-id>.yaml`);
  const fixtures = asOperatorError(() => loadFixtureFolder(dir));
  const shipped = new Set(DETECTION_PACKS.map((pack) => pack.id));
  const packs = options.rules === undefined ? DETECTION_PACKS : detectionPacks(options.rules).filter((pack) => !shipped.has(pack.id));
  const rules = rulesOfPacks(packs.map((pack) => pack.id), packs);
  const gaps = fixtureGaps(rules, fixtures);
  const db = await context.database();
  const results: CaseResult[] = [];
  for (const file of fixtures) {
    const rule = rules.find((packed) => packed.rule.id === file.ruleId);
    if (rule) results.push(...(await runRuleFixtures(db, file, rule)));
  }
  const failed = results.filter((r) => !r.passed).length;
  if (context.outputFormat() === 'json') {
    printJson({ fixtures: dir, passed: failed === 0 && gaps.length === 0, cases: results, gaps });
  } else {
    for (const r of results) printLine(`${r.passed ? 'PASS' : 'FAIL'}  ${r.ruleId}  ${r.caseName}${r.passed ? '' : `: expected ${r.expect}, ${r.detail}`}`);
    for (const gap of gaps) printLine(`FAIL  ${gap}`);
    printLine(`${results.length} cases of ${fixtures.length} rules: ${results.length - failed} passed, ${failed} failed; ${gaps.length} coverage gaps`);
  }
  if (failed > 0 || gaps.length > 0) throw new OperatorError(`fixtures failed in ${dir}: ${failed} failed cases, ${gaps.length} coverage gaps`);
}

/** A fixtures file's refusal is the operator's to fix: one line, no stack. */
function asOperatorError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof FixtureFileError) throw new OperatorError(err.message);
    throw err;
  }
}
