import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ALERT_KINDS, SEVERITIES, type AlertKind, type Severity } from '../alerts/alert-store';
import { backfillDaysProblem, DEFAULT_BACKFILL_DAYS, DEFAULT_POLL_INTERVAL_SECONDS, DEFAULT_SILENCE_WINDOW_SECONDS, legalHoldReasonProblem, retentionDaysProblem } from '../contract/settings';
import { OperatorError } from '../config/operator-error';
import { findPack } from '../detections/registry';
import { parseApiBaseUrl, parseIntervalSeconds, parseKeyExpiry, parseOrgId, parseSilenceWindow, parseSourceName } from './inputs';
import { isKnownRule, parseGroupPeriod } from './pack-inputs';
import { secretVariableProblem } from './secret-variables';

// A file of sources, as teams keep them in git and `apply` them: YAML or JSON of the shape below. Secrets are never
// in the file, only where to read them: an environment variable on the allowlist (secret-variables.ts) or a file in
// the sources file's own folder. The file arrives by pull request: it may choose among the operator's secrets and
// base URLs, never reach others.


/** Where a secret comes from: `{ env: NAME }` or `{ file: path }` (relative to the sources file, inside its folder). */
export type SecretRef = { env: string } | { file: string };

export interface DeclaredWebhook {
  format: 'webhook' | 'slack';
  /** Where the URL is read from: a webhook URL is a secret (Slack's carry their token). */
  url: SecretRef;
  kinds: AlertKind[] | null;
  minSeverity: Severity;
  signingSecret: SecretRef | null;
}

export interface DeclaredSource {
  /** Where it stands in the file, for messages: `sources[index] (name)`. */
  index: number;
  name: string;
  organizationId: string;
  apiKey: SecretRef;
  pollIntervalSeconds: number;
  silenceWindowSeconds: number;
  silenceAlertEnabled: boolean;
  backfillDays: number;
  apiKeyExpiresAt: Date | null;
  apiBaseUrl: string;
  detectionPacks: string[];
  /** Grouping periods in place of the rules' own, in seconds, by rule id. */
  detectionGroupPeriods: Record<string, number>;
  webhooks: DeclaredWebhook[];
  /** Days of retention; null follows the default. */
  retentionDays: number | null;
  /**
   * A legal hold to place (its reason), false to lift one, undefined to leave it as it is: a hold is an obligation
   * that a file written before it, or without it in mind, must not lift by leaving it out.
   */
  legalHold: { reason: string } | false | undefined;
}

/** A number or text checked by one of the contract's validators, whose message becomes the field's issue. */
const validated = <T extends z.ZodType>(schema: T, problem: (value: unknown) => string | undefined) =>
  schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

/** A field checked by one of the CLI's own parsers, whose OperatorError message becomes the field's issue. */
const checked = <T>(parse: (text: string) => T) =>
  z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  });

/** A number of seconds or a duration with a unit (90s, 5m, 24h, 2d), read by the same parser as the CLI's flag. */
const duration = (parse: (text: string) => number) => z.union([z.number(), z.string()]).transform(String).pipe(checked(parse));

const secretRef = z.union([z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name') }), z.strictObject({ file: z.string().min(1) })], {
  error: 'give { env: VARIABLE } or { file: path }, never the secret itself',
});

const webhookSchema = z.strictObject({
  url: secretRef,
  format: z.enum(['webhook', 'slack']).default('webhook'),
  kinds: z.array(z.enum(ALERT_KINDS)).min(1).nullable().default(null),
  minSeverity: z.enum(SEVERITIES).default('info'),
  signingSecret: secretRef.nullable().default(null),
});

const sourceSchema = z.strictObject({
  name: checked(parseSourceName),
  orgId: checked(parseOrgId),
  apiKey: secretRef,
  interval: duration(parseIntervalSeconds).default(DEFAULT_POLL_INTERVAL_SECONDS),
  silenceWindow: duration((text) => parseSilenceWindow(text)).default(DEFAULT_SILENCE_WINDOW_SECONDS),
  silenceAlert: z.boolean().default(true),
  backfillDays: z.number().superRefine((days, ctx) => {
    const problem = backfillDaysProblem(days);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).default(DEFAULT_BACKFILL_DAYS),
  keyExpires: checked(parseKeyExpiry).nullable().default(null),
  apiBaseUrl: checked(parseApiBaseUrl).optional(),
  detectionPacks: z
    .array(z.string().refine((id) => findPack(id) !== undefined, { error: (issue) => `no detection pack "${String(issue.input)}"` }))
    .default([]),
  detectionGroupPeriods: z
    .record(z.string(), z.union([z.number(), z.string()]).transform(String).pipe(checked((text) => parseGroupPeriod('a grouping period', text))))
    .superRefine((periods, ctx) => {
      for (const ruleId of Object.keys(periods)) {
        if (!isKnownRule(ruleId)) ctx.addIssue({ code: 'custom', path: [ruleId], message: `no detection rule "${ruleId}"` });
      }
    })
    .default({}),
  webhooks: z
    .array(webhookSchema)
    .default([])
    .refine((hooks) => new Set(hooks.map((hook) => hook.format)).size === hooks.length, { error: 'at most one webhook of each format' }),
  retentionDays: validated(z.number(), retentionDaysProblem).nullable().default(null),
  legalHold: z.union([z.literal(false), z.strictObject({ reason: validated(z.string(), legalHoldReasonProblem) })]).optional(),
});

// Outputs are read by output-file.ts from the same document; this schema only lets the section through.
const fileSchema = z.strictObject({ sources: z.array(sourceSchema), outputs: z.unknown().optional() });

/**
 * Reads and checks a whole sources file; the first problem stops everything, named by file, source and field, so
 * that nothing is applied from a file that is wrong anywhere.
 */
export function readSourceFile(file: string, defaultApiBaseUrl: string): DeclaredSource[] {
  const document = readDocument(file);
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) throw new OperatorError(`${file}: ${describeIssue(parsed.error.issues[0], document)}`);
  const names = new Set<string>();
  return parsed.data.sources.map((source, index) => {
    const field = (name: string) => `${file}: sources[${index}] (${source.name}): ${name}`;
    if (names.has(source.name)) throw new OperatorError(`${field('name')}: declared twice`);
    names.add(source.name);
    return {
      index,
      name: source.name,
      organizationId: source.orgId,
      apiKey: resolveRef(source.apiKey, file, field('apiKey')),
      pollIntervalSeconds: source.interval,
      silenceWindowSeconds: source.silenceWindow,
      silenceAlertEnabled: source.silenceAlert,
      backfillDays: source.backfillDays,
      apiKeyExpiresAt: source.keyExpires,
      apiBaseUrl: source.apiBaseUrl ?? defaultApiBaseUrl,
      detectionPacks: [...new Set(source.detectionPacks)].sort(),
      detectionGroupPeriods: source.detectionGroupPeriods,
      webhooks: source.webhooks.map((hook) => ({
        ...hook,
        url: resolveRef(hook.url, file, field(`webhooks (${hook.format}).url`)),
        kinds: hook.kinds && [...new Set(hook.kinds)].sort(),
        signingSecret: hook.signingSecret && resolveRef(hook.signingSecret, file, field(`webhooks (${hook.format}).signingSecret`)),
      })),
      retentionDays: source.retentionDays,
      legalHold: source.legalHold && { reason: source.legalHold.reason.trim() },
    };
  });
}

/** The file's document, YAML or JSON by its name; a file that cannot be read or parsed is refused in one line. */
export function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OperatorError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new OperatorError(`${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** "sources[2] (acme): interval: interval must be between …" */
function describeIssue(issue: z.core.$ZodIssue, document: unknown): string {
  const [top, index, ...rest] = issue.path;
  if (top !== 'sources' || typeof index !== 'number') return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
  const entry = (document as { sources: unknown[] }).sources[index] as { name?: unknown } | undefined;
  const name = typeof entry?.name === 'string' ? ` (${entry.name})` : '';
  const field = rest.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
  return `sources[${index}]${name}: ${field ? `${field}: ` : ''}${issue.message}`;
}

/** A reference the file may make, with a file's path made absolute; `field` names it in the refusal. */
export function resolveRef(ref: SecretRef, file: string, field: string): SecretRef {
  if ('env' in ref) {
    const problem = secretVariableProblem(ref.env);
    if (problem) throw new OperatorError(`${field}: ${problem}`);
    return ref;
  }
  const outside = () => new OperatorError(`${field}: file ${ref.file} is outside the sources file's folder: keep secrets files next to it`);
  if (path.isAbsolute(ref.file)) throw outside();
  const folder = realpathSync(path.dirname(path.resolve(file)));
  const resolved = path.resolve(folder, ref.file);
  if (!isInside(folder, resolved)) throw outside();
  // A link inside the folder may point anywhere: where it leads is what counts. A file not there yet reads as unset.
  let target: string;
  try {
    target = realpathSync(resolved);
  } catch {
    return { file: resolved };
  }
  if (!isInside(folder, target)) throw outside();
  return { file: target };
}

function isInside(folder: string, candidate: string): boolean {
  const relative = path.relative(folder, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** The secret a reference points to, or undefined when its variable or file is absent. */
export function readSecret(ref: SecretRef): string | undefined {
  if ('env' in ref) return process.env[ref.env]?.trim() || undefined;
  try {
    return readFileSync(ref.file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function describeRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}
