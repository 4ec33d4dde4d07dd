import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { stopSignal } from '../contract/source-messages';
import { OperatorError } from '../config/operator-error';
import type { Database } from '../store/database';
import { deleteSource, updateSourceStatus, type SourceRecord } from '../store/sources';
import { describeCause } from './context';
import { findWorkflow, type SourceWorkflowHandle } from './lookup';

export const DEFAULT_STOP_TIMEOUT_SECONDS = 60;

/**
 * Stops the source's workflow gracefully, then marks the source removed (its events stay) or, with purge, deletes it
 * with everything it owns. Returns how the workflow ended, for the operator.
 */
export async function removeSource(db: Database, client: Client, source: SourceRecord, { purge, timeoutSeconds }: { purge: boolean; timeoutSeconds: number }): Promise<string> {
  const workflow = await findWorkflow(client, source.name);
  const stopped = workflow.running ? await stopWorkflow(workflow.handle, timeoutSeconds) : 'was not running';
  if (purge) await deleteSource(db, source.id);
  else await updateSourceStatus(db, source.id, 'removed', 'removed by an operator');
  return stopped;
}

/**
 * A graceful stop lets the page in flight commit with its checkpoint. Terminating is the fallback for a workflow
 * that cannot finish, for example because no worker is running: nothing is lost, the page is simply not fetched.
 */
async function stopWorkflow(handle: SourceWorkflowHandle, timeoutSeconds: number): Promise<string> {
  await handle.signal(stopSignal);
  const finished = await Promise.race([
    handle.result().then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutSeconds * 1000).unref()),
  ]);
  if (finished) return 'stopped';
  try {
    await handle.terminate(`no graceful stop within ${timeoutSeconds} s of an operator's remove`);
  } catch (err) {
    // It completed between the deadline and the terminate request.
    if (err instanceof WorkflowNotFoundError) return 'stopped';
    throw new OperatorError(`the workflow did not stop within ${timeoutSeconds} s and could not be terminated (${describeCause(err)}): nothing removed`);
  }
  return `terminated after ${timeoutSeconds} s without a graceful stop`;
}
