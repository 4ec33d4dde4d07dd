import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { auditEventSchema, parseRfc3339, type AuditEvent } from '../atlassian/schema';
import { DEFAULT_DETECTION_SETTINGS, type DetectionSettings } from './rule';

/**
 * Fixtures of one rule: `detections/fixtures/<rule-id>.yaml` for the built-in rules, `<rules folder>/fixtures/` for a
 * team's. `fire`: the rule raises a detection on the case's last event; `quiet`: it raises none on any event.
 */
export interface RuleFixtures {
  file: string;
  ruleId: string;
  cases: FixtureCase[];
}

export interface FixtureCase {
  name: string;
  expect: 'fire' | 'quiet';
  settings: DetectionSettings;
  /** In the events-stream shape, in time order. */
  events: AuditEvent[];
}

/** A fixtures file that cannot be read or does not follow the convention; the message names the file and the field. */
export class FixtureFileError extends Error {
  override name = 'FixtureFileError';
}

/** A case's detection settings, as a source would hold them; what a case leaves out takes the product's default. */
const settingsSchema = z
  .strictObject({
    allowedInviteDomains: z.array(z.string().min(1)).default([...DEFAULT_DETECTION_SETTINGS.allowedInviteDomains]),
  })
  .transform((settings): DetectionSettings => ({ ...DEFAULT_DETECTION_SETTINGS, ...settings }));

const caseSchema = z.strictObject({
  name: z.string().min(1),
  expect: z.enum(['fire', 'quiet']),
  settings: settingsSchema.prefault({}),
  events: z
    .array(auditEventSchema)
    .min(1)
    .refine((events) => events.every((event, i) => i === 0 || parseRfc3339(events[i - 1].attributes.time) <= parseRfc3339(event.attributes.time)), {
      error: 'events must be in time order',
    }),
});

const fileSchema = z.strictObject({
  rule: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a rule id: lowercase letters, digits and dashes'),
  cases: z.array(caseSchema).min(1),
});

/** The built-in rules' fixtures: the nearest detections/fixtures/ above this module, run from detections/ or dist/detections/. */
export function builtInFixturesDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'detections', 'fixtures');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new FixtureFileError(`no detections/fixtures/ folder above ${__dirname}`);
  }
}

/** Every `*.yaml` / `*.yml` file of the folder, in name order. */
export function loadFixtureFolder(dir: string): RuleFixtures[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /\.ya?ml$/i.test(name)).sort();
  } catch (err) {
    throw new FixtureFileError(`${dir}: cannot read the fixtures folder: ${(err as Error).message}`);
  }
  return names.map((name) => loadFixtureFile(path.join(dir, name)));
}

export function loadFixtureFile(file: string): RuleFixtures {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FixtureFileError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new FixtureFileError(`${file}: ${issue.path.length > 0 ? `${fieldPath(issue.path)}: ` : ''}${issue.message}`);
  }
  const expectedName = path.basename(file).replace(/\.ya?ml$/i, '');
  if (parsed.data.rule !== expectedName) {
    throw new FixtureFileError(`${file}: rule: "${parsed.data.rule}" differs from the file name: name the file ${parsed.data.rule}.yaml`);
  }
  return { file, ruleId: parsed.data.rule, cases: parsed.data.cases };
}

/** `cases[2].events[0].attributes.time`, as an operator finds it in the file. */
function fieldPath(segments: readonly PropertyKey[]): string {
  return segments.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`)).join('');
}
