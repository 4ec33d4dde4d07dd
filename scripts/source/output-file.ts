import { z } from 'zod';
import { OperatorError } from '../../config/operator-error';
import type { OutputBatching, OutputKind } from '../../store/outputs';
import type { OutputFormat } from '../../outputs/sink';
import { parseBatching, parseLagAlert, parseOutputFormat, parseOutputKind, parseOutputName } from './output-settings';
import { readDocument, resolveRef, type SecretRef } from './source-file';

// The `outputs:` section of a sources file. Like a source's key, an output's URL and signing secret are never in the
// file, only where to read them.

export interface DeclaredOutput {
  index: number;
  name: string;
  kind: OutputKind;
  format: OutputFormat;
  url: SecretRef;
  signingSecret: SecretRef | null;
  gzip: boolean;
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
  error: 'give { env: VARIABLE } or { file: path }, never the secret itself',
});

const outputSchema = z.strictObject({
  name: checked(parseOutputName),
  kind: checked(parseOutputKind).default('http'),
  format: checked(parseOutputFormat).default('raw'),
  url: secretRef,
  signingSecret: secretRef.nullable().default(null),
  gzip: z.boolean().default(false),
  sources: z.array(z.string()).min(1).nullable().default(null),
  batch: z.strictObject({ events: z.union([z.number(), z.string()]).optional(), bytes: z.union([z.number(), z.string()]).optional(), age: z.union([z.number(), z.string()]).optional() }).default({}),
  lagAlert: z.union([z.number(), z.string()]).optional(),
});

const sectionSchema = z.object({ outputs: z.array(outputSchema).default([]) });

/** The file's outputs, checked whole: a problem names the file, the output and the field, and nothing is applied. */
export function readOutputsOfFile(file: string): DeclaredOutput[] {
  const document = readDocument(file);
  const parsed = sectionSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [, index, ...rest] = issue.path;
    const entry = typeof index === 'number' ? ((document as { outputs: { name?: unknown }[] }).outputs[index] ?? {}) : {};
    const name = typeof entry.name === 'string' ? ` (${entry.name})` : '';
    throw new OperatorError(`${file}: outputs[${String(index)}]${name}: ${rest.length ? `${rest.join('.')}: ` : ''}${issue.message}`);
  }
  const names = new Set<string>();
  return parsed.data.outputs.map((output, index) => {
    const field = (what: string) => `${file}: outputs[${index}] (${output.name}): ${what}`;
    if (names.has(output.name)) throw new OperatorError(`${field('name')}: declared twice`);
    names.add(output.name);
    const named = (what: string) => ({ events: `${field(what)}.events`, bytes: `${field(what)}.bytes`, age: `${field(what)}.age` });
    return {
      index,
      name: output.name,
      kind: output.kind,
      format: output.format,
      url: resolveRef(output.url, file, field('url')),
      signingSecret: output.signingSecret && resolveRef(output.signingSecret, file, field('signingSecret')),
      gzip: output.gzip,
      sources: output.sources && [...new Set(output.sources)].sort(),
      batching: parseBatching(output.batch, named('batch')),
      lagAlertSeconds: parseLagAlert(output.lagAlert, field('lagAlert')),
    };
  });
}
