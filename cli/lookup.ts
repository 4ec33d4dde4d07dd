import { Client, WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import type { Database } from '../store/database';
import { findSourceByName, SourceRecord } from '../store/sources';
import { OperatorError } from '../config/operator-error';
import { sourceWorkflowId } from '../contract/ids';
import type { sourceWorkflow } from '../workflows/source-workflow';
import { parseSourceName } from './inputs';

export type SourceWorkflowHandle = WorkflowHandle<typeof sourceWorkflow>;

export interface WorkflowPresence {
  handle: SourceWorkflowHandle;
  /** Temporal's execution status of the latest run (RUNNING, COMPLETED, TERMINATED...), or undefined when none exists. */
  status: string | undefined;
  running: boolean;
}

export async function requireSource(db: Database, name: string): Promise<SourceRecord> {
  const source = await findSourceByName(db, parseSourceName(name));
  if (!source) throw new OperatorError(`no source named "${name}": \`atlassian-audit list\` shows the sources`);
  return source;
}

/** A removed source keeps its events and name until purged, but nothing may change it any more. */
export async function requireLiveSource(db: Database, name: string): Promise<SourceRecord> {
  const source = await requireSource(db, name);
  if (source.status === 'removed') throw new OperatorError(`source "${name}" was removed; \`remove ${name} --purge\` deletes it with its events`);
  return source;
}

export async function findWorkflow(client: Client, sourceName: string): Promise<WorkflowPresence> {
  const handle = client.workflow.getHandle<typeof sourceWorkflow>(sourceWorkflowId(sourceName));
  try {
    const { status } = await handle.describe();
    return { handle, status: status.name, running: status.name === 'RUNNING' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { handle, status: undefined, running: false };
    throw err;
  }
}

/** Signals and updates reach only a running workflow; checked first so that a refusal leaves nothing changed. */
export async function requireRunningWorkflow(client: Client, source: SourceRecord): Promise<SourceWorkflowHandle> {
  const workflow = await findWorkflow(client, source.name);
  if (!workflow.running) {
    throw new OperatorError(
      `source "${source.name}" has no running workflow (${workflow.status ? `last run ${workflow.status.toLowerCase()}` : 'none was started'}): nothing changed`,
    );
  }
  return workflow.handle;
}
