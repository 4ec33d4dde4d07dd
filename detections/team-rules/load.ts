import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { DetectionPack } from '../rule';
import { compilePack } from './compile';
import { rulesFileSchema, type Suppression } from './format';

/** What a team's rules folder holds, or what is wrong with it: one line per problem, each naming the file and field. */
export interface RulesFolder {
  packs: DetectionPack[];
  suppressions: Suppression[];
  problems: string[];
}

const RULES_FILE = /\.ya?ml$/i;

/**
 * Reads every `*.yaml` / `*.yml` file directly in the folder (its `fixtures/` are the tests, not rules) as one pack,
 * and checks the folder as a whole: pack and rule ids unique among themselves and the shipped ones, every allowlist
 * naming a rule that exists. Problems are collected rather than thrown, so `rules check` lists them all.
 */
export function readRulesFolder(folder: string, shipped: readonly DetectionPack[]): RulesFolder {
  let names: string[];
  try {
    names = readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isFile() && RULES_FILE.test(entry.name)).map((entry) => entry.name).sort();
  } catch (err) {
    return { packs: [], suppressions: [], problems: [`${folder}: cannot read the rules folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
  }
  const problems: string[] = [];
  const packs: DetectionPack[] = [];
  const suppressions: Array<{ file: string; index: number; suppression: Suppression }> = [];
  const packFiles = new Map<string, string>(shipped.map((pack) => [pack.id, 'a shipped pack']));
  const ruleFiles = new Map<string, string>(shipped.flatMap((pack) => pack.rules.map((rule) => [rule.id, `shipped pack ${pack.id}`] as const)));

  for (const name of names) {
    const file = path.join(folder, name);
    const parsed = parseRulesFile(file);
    if ('problems' in parsed) {
      problems.push(...parsed.problems);
      continue;
    }
    const { data } = parsed;
    const other = packFiles.get(data.id);
    if (other !== undefined) {
      problems.push(`${file}: id: pack "${data.id}" is already defined by ${other}`);
      continue;
    }
    packFiles.set(data.id, file);
    data.rules.forEach((rule, index) => {
      const taken = ruleFiles.get(rule.id);
      if (taken !== undefined) problems.push(`${file}: rules[${index}].id: rule "${rule.id}" is already defined by ${taken}`);
      else ruleFiles.set(rule.id, file);
    });
    packs.push(compilePack(data));
    suppressions.push(...data.suppress.map((suppression, index) => ({ file, index, suppression })));
  }
  for (const { file, index, suppression } of suppressions) {
    if (!ruleFiles.has(suppression.rule)) problems.push(`${file}: suppress[${index}].rule: no rule "${suppression.rule}", shipped or in ${folder}`);
  }
  return { packs, suppressions: suppressions.map((s) => s.suppression), problems };
}

function parseRulesFile(file: string): { data: z.infer<typeof rulesFileSchema> } | { problems: string[] } {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    return { problems: [`${file}: not valid YAML: ${(err as Error).message.split('\n')[0].replace(/:$/, '')}`] };
  }
  const parsed = rulesFileSchema.safeParse(document);
  if (parsed.success) return { data: parsed.data };
  return { problems: parsed.error.issues.map((issue) => `${file}: ${fieldOf(issue.path, document)}: ${issue.message}`) };
}

/** `rules[1] (token-burst).match.actions[0]`: a rule is named by its id as well as its place, when it has one. */
function fieldOf(issuePath: readonly PropertyKey[], document: unknown): string {
  if (issuePath.length === 0) return '(the file)';
  const [top, index] = issuePath;
  const rules = (document as { rules?: unknown } | null)?.rules;
  const ruleId = top === 'rules' && typeof index === 'number' && Array.isArray(rules) ? (rules[index] as { id?: unknown } | null)?.id : undefined;
  return issuePath
    .map((part, at) => (typeof part === 'number' ? `[${part}]${at === 1 && typeof ruleId === 'string' ? ` (${ruleId})` : ''}` : `${at === 0 ? '' : '.'}${String(part)}`))
    .join('');
}
