import type { Client } from '@temporalio/client';
import { OperatorError } from '../config/operator-error';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { listOutputs, openOutputSecrets, updateOutput, type OutputRecord } from '../store/outputs';
import { createOutput, sourceIdsByName } from './create-output';
import type { DeclaredOutput } from './output-file';
import { OUTPUT_KIND_RULES } from './output-kinds';
import { outputWorkflowRunning, removeOutput } from './remove-output';
import { describeRef, readSecret } from './source-file';
import { DEFAULT_STOP_TIMEOUT_SECONDS } from './remove-source';
import { startOutputWorkflow } from '../outputs/start-output-workflow';

/** Where a declared output sends, as `outputs add` would store it. */
interface Destination {
  /** The kind's settings with shownUrl. */
  settings: Record<string, unknown>;
  shown: string;
  /** Every secret the output is to hold, by name. */
  secrets: Record<string, string>;
}

export interface OutputPlan {
  creates: { declared: DeclaredOutput; destination: Destination }[];
  updates: { declared: DeclaredOutput; current: OutputRecord; destination: Destination; changedSecrets: Record<string, string>; removedSecrets: string[]; described: string[] }[];
  absent: OutputRecord[];
  unchanged: number;
}

/**
 * What applying the file's outputs changes, worked out before anything is: every source an output names must be in
 * the file or stored, and every secret the file names must be readable, or already stored.
 */
export async function planOutputs(db: Database, client: Client, cipher: CredentialCipher, file: string, declared: DeclaredOutput[], sourceNames: Set<string>): Promise<OutputPlan> {
  const current = new Map((await listOutputs(db)).map((o) => [o.name, o]));
  const plan: OutputPlan = { creates: [], updates: [], absent: [], unchanged: 0 };
  for (const output of declared) {
    const where = `${file}: outputs[${output.index}] (${output.name})`;
    const unknown = (output.sources ?? []).find((name) => !sourceNames.has(name));
    if (unknown !== undefined) throw new OperatorError(`${where}: sources: no source named "${unknown}" in the file or stored`);
    const existing = current.get(output.name);
    if (existing && existing.kind !== output.kind) throw new OperatorError(`${where}: kind: an output's kind cannot change (${existing.kind}): remove it and add it anew`);
    const stored = existing ? await openOutputSecrets(db, cipher, existing.id) : {};
    const destination = destinationOf(output, stored, where);
    if (!existing) {
      plan.creates.push({ declared: output, destination });
      continue;
    }
    const changedSecrets = Object.fromEntries(Object.entries(destination.secrets).filter(([name, value]) => stored[name] !== value));
    const removedSecrets = Object.keys(stored).filter((name) => !(name in destination.secrets));
    const described = [
      ...(await describeChanges(db, existing, output)),
      ...(Object.keys(changedSecrets).length ? [`${Object.keys(changedSecrets).join(', ')} changed`] : []),
      ...(removedSecrets.length ? [`${removedSecrets.join(', ')} removed`] : []),
    ];
    if (!(await outputWorkflowRunning(client, existing.name))) described.push('start its workflow');
    if (described.length === 0) plan.unchanged++;
    else plan.updates.push({ declared: output, current: existing, destination, changedSecrets, removedSecrets, described });
  }
  const declaredNames = new Set(declared.map((o) => o.name));
  plan.absent = [...current.values()].filter((o) => !declaredNames.has(o.name));
  return plan;
}

/**
 * The secrets each named reference holds; a reference that is not set keeps the stored secret, and is refused when
 * there is none. A secret the file leaves out is dropped, unless its kind keeps it.
 */
function destinationOf(output: DeclaredOutput, stored: Record<string, string>, where: string): Destination {
  const rules = OUTPUT_KIND_RULES[output.kind];
  const given: Record<string, string> = {};
  for (const [name, rule] of Object.entries(rules.secretFields)) {
    const ref = output.secrets[name];
    const value = ref ? (readSecret(ref) ?? stored[name]) : rule === 'kept' ? stored[name] : undefined;
    if (ref && value === undefined) throw new OperatorError(`${where}: ${name}: ${describeRef(ref)} is not set`);
    if (value !== undefined) given[name] = value;
  }
  const secrets = rules.checkSecrets(given, where);
  const shown = rules.shown(output.settings, secrets);
  return { settings: { ...output.settings, shownUrl: shown }, shown, secrets };
}

async function describeChanges(db: Database, current: OutputRecord, output: DeclaredOutput): Promise<string[]> {
  const changes: string[] = [];
  if (current.format !== output.format) changes.push(`format ${current.format} → ${output.format}`);
  changes.push(...settingChanges(current.settings, output.settings));
  const currentSources = current.allSources ? null : (await namesOf(db, current.sourceIds)).sort();
  if (JSON.stringify(currentSources) !== JSON.stringify(output.sources)) changes.push(`sources ${output.sources ? output.sources.join(', ') : 'all'}`);
  if (JSON.stringify(current.batching) !== JSON.stringify(output.batching)) changes.push('batch limits');
  if (current.lagAlertSeconds !== output.lagAlertSeconds) changes.push(`lag alert after ${output.lagAlertSeconds} s`);
  return changes;
}

/** `prefix audit → lake` for each setting that differs; shownUrl follows the others and is not compared. */
function settingChanges(current: Record<string, unknown>, declared: Record<string, unknown>): string[] {
  const names = [...new Set([...Object.keys(current), ...Object.keys(declared)])].filter((name) => name !== 'shownUrl').sort();
  const shown = (value: unknown) => (value === undefined ? 'unset' : String(value));
  return names.filter((name) => current[name] !== declared[name]).map((name) => `${name} ${shown(current[name])} → ${shown(declared[name])}`);
}

async function namesOf(db: Database, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM sources WHERE id = ANY($1::uuid[])', [ids]);
  return rows.map((r) => r.name);
}

/** Applies the plan once the sources are in place (an output may name a source the same file creates). */
export async function applyOutputs(db: Database, client: Client, cipher: CredentialCipher, taskQueue: string, file: string, plan: OutputPlan, prune: boolean): Promise<void> {
  const sourceIdsOf = (declared: DeclaredOutput) =>
    declared.sources ? sourceIdsByName(db, declared.sources, `${file}: outputs[${declared.index}] (${declared.name}): sources`) : Promise.resolve([]);
  for (const { declared, destination } of plan.creates) {
    await createOutput(db, client, cipher, taskQueue, {
      name: declared.name,
      kind: declared.kind,
      format: declared.format,
      settings: destination.settings,
      allSources: declared.sources === null,
      sourceIds: await sourceIdsOf(declared),
      batching: declared.batching,
      lagAlertSeconds: declared.lagAlertSeconds,
      secrets: destination.secrets,
    });
  }
  for (const { declared, current, destination, changedSecrets, removedSecrets } of plan.updates) {
    await updateOutput(db, cipher, current.id, {
      format: declared.format,
      settings: destination.settings,
      allSources: declared.sources === null,
      sourceIds: await sourceIdsOf(declared),
      batching: declared.batching,
      lagAlertSeconds: declared.lagAlertSeconds,
      secrets: changedSecrets,
      removedSecrets,
    });
    // Started when it was not running, woken when it was: the next round reads the new settings.
    await startOutputWorkflow(client, current, taskQueue);
  }
  if (prune) for (const output of plan.absent) await removeOutput(db, client, output, DEFAULT_STOP_TIMEOUT_SECONDS);
}
