import { z } from 'zod';
import { OperatorError } from '../config/operator-error';
import type { OutputBatching, OutputKind } from '../store/outputs';
import type { OutputFormat } from '../outputs/sink';
import { kindsTaking, OUTPUT_KIND_RULES } from './output-kinds';
import { parseBatching, parseLagAlert, parseOutputFormat, parseOutputKind, parseOutputName } from './output-settings';
import { readDocument, resolveRef, type SecretRef } from './source-file';

// The `outputs:` section of a sources file. Like a source's key, an output's secrets (an HTTP output's URL and
// signing secret, an S3 output's keys, a HEC token) are never in the file, only where to read them.

export interface DeclaredOutput {
  index: number;
  name: string;
  kind: OutputKind;
  format: OutputFormat;
  /** The kind's settings, checked, as `outputs add` stores them (without shownUrl). */
  settings: Record<string, unknown>;
  /** Where each secret the file names is read from, by the name it is stored under. */
  secrets: Record<string, SecretRef>;
  /** Null: every source. */
  sources: string[] | null;
  batching: OutputBatching;
  lagAlertSeconds: number;
}

const checked = <T>(parse: (text: string) => T) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    try {
      return parse(String(value));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  });

const secretRef = z.union([z.strictObject({ env: z.string() }), z.strictObject({ file: z.string().min(1) })], {
  error: (issue) => (issue.input === undefined ? 'required: give { env: VARIABLE } or { file: path }' : 'give { env: VARIABLE } or { file: path }, never the secret itself'),
});

const commonFields = {
  name: checked(parseOutputName),
  kind: checked(parseOutputKind).default('http'),
  format: checked(parseOutputFormat).default('raw'),
  sources: z.array(z.string()).min(1).nullable().default(null),
  batch: z.strictObject({ events: z.union([z.number(), z.string()]).optional(), bytes: z.union([z.number(), z.string()]).optional(), age: z.union([z.number(), z.string()]).optional() }).default({}),
  lagAlert: z.union([z.number(), z.string()]).optional(),
};

/** An entry of one kind: its settings pass through to the kind's own validator, its secrets must be references. */
function entrySchema(kind: OutputKind) {
  const rules = OUTPUT_KIND_RULES[kind];
  return z.strictObject({
    ...commonFields,
    ...Object.fromEntries(rules.settingFields.map((field) => [field, z.unknown().optional()])),
    ...Object.fromEntries(Object.entries(rules.secretFields).map(([field, rule]) => [field, rule === 'required' ? secretRef : secretRef.nullish()])),
  });
}

const sectionSchema = z.object({ outputs: z.array(z.record(z.string(), z.unknown(), { error: 'must be an output: { name: ..., kind: ... }' })).default([]) });

/** The file's outputs, checked whole: a problem names the file, the output and the field, and nothing is applied. */
export function readOutputsOfFile(file: string): DeclaredOutput[] {
  const document = readDocument(file);
  const section = sectionSchema.safeParse(document);
  if (!section.success) {
    const issue = section.error.issues[0];
    const [, index, ...rest] = issue.path;
    if (typeof index !== 'number') throw new OperatorError(issueLine(file, issue));
    const entries = (document as { outputs: unknown[] }).outputs;
    throw new OperatorError(issueLine(labelOf(file, index, entries[index]), { ...issue, path: rest }));
  }
  const names = new Set<string>();
  return section.data.outputs.map((entry, index) => {
    const output = readEntry(labelOf(file, index, entry), file, index, entry);
    if (names.has(output.name)) throw new OperatorError(`${labelOf(file, index, entry)}: name: declared twice`);
    names.add(output.name);
    return output;
  });
}

/** One entry, read for its kind: `where` names the file and the output in every refusal. */
function readEntry(where: string, file: string, index: number, entry: Record<string, unknown>): DeclaredOutput {
  const kindOnly = z.object({ kind: commonFields.kind }).safeParse(entry);
  if (!kindOnly.success) throw new OperatorError(issueLine(where, kindOnly.error.issues[0]));
  const { kind } = kindOnly.data;
  const rules = OUTPUT_KIND_RULES[kind];
  for (const field of Object.keys(entry)) {
    const own = field in commonFields || rules.settingFields.includes(field) || field in rules.secretFields;
    const others = own ? [] : kindsTaking(field, kind);
    if (others.length > 0) throw new OperatorError(`${where}: ${field}: is for ${others.join(' and ')} outputs, not ${kind}`);
  }
  const parsed = entrySchema(kind).safeParse(entry);
  if (!parsed.success) throw new OperatorError(issueLine(where, parsed.error.issues[0]));
  const output = parsed.data as Record<string, unknown> & z.output<z.ZodObject<typeof commonFields>>;
  const given = Object.fromEntries(rules.settingFields.filter((field) => output[field] != null).map((field) => [field, output[field]]));
  let settings: Record<string, unknown>;
  try {
    settings = rules.checkSettings(given);
  } catch (err) {
    if (err instanceof OperatorError) throw new OperatorError(`${where}: ${err.message}`);
    throw err;
  }
  const secrets = Object.fromEntries(
    Object.keys(rules.secretFields)
      .filter((field) => output[field] != null)
      .map((field) => [field, resolveRef(output[field] as SecretRef, file, `${where}: ${field}`)]),
  );
  const named = (what: string) => ({ events: `${where}: ${what}.events`, bytes: `${where}: ${what}.bytes`, age: `${where}: ${what}.age` });
  return {
    index,
    name: output.name,
    kind,
    format: output.format,
    settings,
    secrets,
    sources: output.sources && [...new Set(output.sources)].sort(),
    batching: parseBatching(output.batch, named('batch')),
    lagAlertSeconds: parseLagAlert(output.lagAlert, `${where}: lagAlert`),
  };
}

/** `file: outputs[i] (name)`, with the name when it can be read. */
function labelOf(file: string, index: number, entry: unknown): string {
  const name = typeof entry === 'object' && entry !== null ? (entry as { name?: unknown }).name : undefined;
  return `${file}: outputs[${index}]${typeof name === 'string' ? ` (${name})` : ''}`;
}

function issueLine(where: string, issue: z.core.$ZodIssue): string {
  return `${where}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}
