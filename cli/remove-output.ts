import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { OperatorError } from '../config/operator-error';
import { outputWorkflowId } from '../contract/ids';
import { stopOutputSignal } from '../contract/output-messages';
import type { Database } from '../store/database';
import { deleteOutput, type OutputRecord } from '../store/outputs';
import { describeCause } from './context';

/** Whether the output's workflow runs. */
export async function outputWorkflowRunning(client: Client, name: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(outputWorkflowId(name)).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Stops the output's workflow gracefully (the batch in flight is acknowledged or kept claimed), terminating it after
 * the timeout, then deletes the output with its positions and secrets. Returns how the workflow ended.
 */
export async function removeOutput(db: Database, client: Client, output: OutputRecord, timeoutSeconds: number): Promise<string> {
  let stopped = 'was not running';
  if (await outputWorkflowRunning(client, output.name)) {
    const handle = client.workflow.getHandle(outputWorkflowId(output.name));
    await handle.signal(stopOutputSignal);
    const finished = await Promise.race([
      handle.result().then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutSeconds * 1000).unref()),
    ]);
    stopped = 'stopped';
    if (!finished) {
      try {
        await handle.terminate(`no graceful stop within ${timeoutSeconds} s of an operator's remove`);
        stopped = `terminated after ${timeoutSeconds} s without a graceful stop`;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw new OperatorError(`the workflow did not stop within ${timeoutSeconds} s and could not be terminated (${describeCause(err)}): nothing removed`);
      }
    }
  }
  await deleteOutput(db, output.id);
  return stopped;
}
