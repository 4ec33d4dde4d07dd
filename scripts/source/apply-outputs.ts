import type { Client } from '@temporalio/client';
import { OperatorError } from '../../config/operator-error';
import type { CredentialCipher } from '../../store/credentials';
import type { Database } from '../../store/database';
import { listOutputs, openOutputSecrets, updateOutput, type OutputRecord } from '../../store/outputs';
import { createOutput, sourceIdsByName } from './create-output';
import type { DeclaredOutput } from './output-file';
import { parseOutputSigningSecret, parseOutputUrl } from './output-settings';
import { outputWorkflowRunning, removeOutput } from './remove-output';
import { describeRef, readSecret } from './source-file';
import { DEFAULT_STOP_TIMEOUT_SECONDS } from './remove-source';
import { startOutputWorkflow } from './start-output-workflow';

export interface OutputPlan {
  creates: { declared: DeclaredOutput; secrets: Record<string, string>; shownUrl: string }[];
  updates: { declared: DeclaredOutput; current: OutputRecord; secrets: Record<string, string>; shownUrl: string; described: string[] }[];
  absent: OutputRecord[];
  unchanged: number;
}

/**
 * What applying the file's outputs changes, worked out before anything is: every source an output names must be in
 * the file or stored, and a new output's URL must be readable. A stored secret whose reference is not set stays.
 */
export async function planOutputs(db: Database, client: Client, cipher: CredentialCipher, file: string, declared: DeclaredOutput[], sourceNames: Set<string>): Promise<OutputPlan> {
  const current = new Map((await listOutputs(db)).map((o) => [o.name, o]));
  const plan: OutputPlan = { creates: [], updates: [], absent: [], unchanged: 0 };
  for (const output of declared) {
    const field = (what: string) => `${file}: outputs[${output.index}] (${output.name}): ${what}`;
    const unknown = (output.sources ?? []).find((name) => !sourceNames.has(name));
    if (unknown !== undefined) throw new OperatorError(`${field('sources')}: no source named "${unknown}" in the file or stored`);
    const urlText = readSecret(output.url);
    const url = urlText === undefined ? undefined : parseOutputUrl(urlText, field('url'));
    const signingText = output.signingSecret && readSecret(output.signingSecret);
    const secrets: Record<string, string> = {
      ...(url ? { url: url.url } : {}),
      ...(signingText ? { signingSecret: parseOutputSigningSecret(signingText, field('signingSecret')) } : {}),
    };
    const existing = current.get(output.name);
    if (!existing) {
      if (!url) throw new OperatorError(`${field('url')}: ${describeRef(output.url)} is not set`);
      plan.creates.push({ declared: output, secrets, shownUrl: url.shownUrl });
      continue;
    }
    if (existing.kind !== output.kind) throw new OperatorError(`${field('kind')}: an output's kind cannot change (${existing.kind}): remove it and add it anew`);
    const stored = await openOutputSecrets(db, cipher, existing.id);
    const described = await describeChanges(db, existing, output, stored, secrets);
    if (!(await outputWorkflowRunning(client, existing.name))) described.push('start its workflow');
    if (described.length === 0) plan.unchanged++;
    else plan.updates.push({ declared: output, current: existing, secrets, shownUrl: url?.shownUrl ?? String(existing.settings.shownUrl ?? ''), described });
  }
  const declaredNames = new Set(declared.map((o) => o.name));
  plan.absent = [...current.values()].filter((o) => !declaredNames.has(o.name));
  return plan;
}

async function describeChanges(db: Database, current: OutputRecord, output: DeclaredOutput, stored: Record<string, string>, secrets: Record<string, string>): Promise<string[]> {
  const changes: string[] = [];
  if (current.format !== output.format) changes.push(`format ${current.format} → ${output.format}`);
  if ((current.settings.gzip === true) !== output.gzip) changes.push(`gzip ${output.gzip ? 'on' : 'off'}`);
  const currentSources = current.allSources ? null : (await namesOf(db, current.sourceIds)).sort();
  if (JSON.stringify(currentSources) !== JSON.stringify(output.sources)) changes.push(`sources ${output.sources ? output.sources.join(', ') : 'all'}`);
  if (JSON.stringify(current.batching) !== JSON.stringify(output.batching)) changes.push('batch limits');
  if (current.lagAlertSeconds !== output.lagAlertSeconds) changes.push(`lag alert after ${output.lagAlertSeconds} s`);
  if (secrets.url && secrets.url !== stored.url) changes.push('URL');
  if (secrets.signingSecret && secrets.signingSecret !== stored.signingSecret) changes.push('signing secret');
  return changes;
}

async function namesOf(db: Database, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM sources WHERE id = ANY($1::uuid[])', [ids]);
  return rows.map((r) => r.name);
}

/** Applies the plan once the sources are in place (an output may name a source the same file creates). */
export async function applyOutputs(db: Database, client: Client, cipher: CredentialCipher, taskQueue: string, file: string, plan: OutputPlan, prune: boolean): Promise<void> {
  const settingsOf = (d: DeclaredOutput, shownUrl: string) => ({ shownUrl, gzip: d.gzip });
  for (const { declared, secrets, shownUrl } of plan.creates) {
    await createOutput(db, client, cipher, taskQueue, {
      name: declared.name,
      kind: declared.kind,
      format: declared.format,
      settings: settingsOf(declared, shownUrl),
      allSources: declared.sources === null,
      sourceIds: declared.sources ? await sourceIdsByName(db, declared.sources, `${file}: outputs[${declared.index}] (${declared.name}): sources`) : [],
      batching: declared.batching,
      lagAlertSeconds: declared.lagAlertSeconds,
      secrets,
    });
  }
  for (const { declared, current, secrets, shownUrl } of plan.updates) {
    await updateOutput(db, cipher, current.id, {
      format: declared.format,
      settings: settingsOf(declared, shownUrl),
      allSources: declared.sources === null,
      sourceIds: declared.sources ? await sourceIdsByName(db, declared.sources, `${file}: outputs[${declared.index}] (${declared.name}): sources`) : [],
      batching: declared.batching,
      lagAlertSeconds: declared.lagAlertSeconds,
      secrets,
    });
    // Started when it was not running, woken when it was: the next round reads the new settings.
    await startOutputWorkflow(client, current, taskQueue);
  }
  if (prune) for (const output of plan.absent) await removeOutput(db, client, output, DEFAULT_STOP_TIMEOUT_SECONDS);
}
