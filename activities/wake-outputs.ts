import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { outputWorkflowId } from '../contract/ids';
import { wakeOutputSignal } from '../contract/output-messages';
import type { OutputWorkflowInput } from '../contract/output-workflow';
import type { Database } from '../store/database';
import { activeOutputsOfSource } from '../store/outputs';

/**
 * How long a source's list of outputs is reused: pages of a backfill come seconds apart, and a new output is woken
 * by its own start. So a source without outputs costs one small query every few seconds, not one per page.
 */
const CACHE_MS = 5_000;
/**
 * An output is woken at most this often by one worker: a backfill stores several pages a second, and each wake costs
 * the output a workflow task and a round that mostly finds a batch still filling. A wake held back is sent when the
 * interval ends, so the events of the last page never wait for the output's idle timer.
 */
const WAKE_INTERVAL_MS = 1_000;

type OutputRef = { id: string; name: string };

/**
 * After a page committed new events: wakes the workflows of the active outputs that take the source, starting one
 * that is not running. Only a shortcut (each output's own timer comes anyway), so a failure is logged, never raised.
 */
export function createOutputWaker(db: Database) {
  const cache = new Map<string, { outputs: OutputRef[]; until: number }>();
  const lastWoken = new Map<string, number>();
  const held = new Set<string>();
  return async function wakeOutputsOf(sourceId: string): Promise<void> {
    let context: Context;
    try {
      context = Context.current();
    } catch {
      return;
    }
    const { log } = context;
    try {
      const wake = (output: OutputRef) => {
        lastWoken.set(output.id, Date.now());
        // Read only to wake: an activity run without a client (a mock environment) throws here, and has no outputs.
        return wakeOutput(context.client, context.info.taskQueue, output);
      };
      let entry = cache.get(sourceId);
      if (!entry || entry.until < Date.now()) {
        entry = { outputs: await activeOutputsOfSource(db, sourceId), until: Date.now() + CACHE_MS };
        cache.set(sourceId, entry);
      }
      for (const output of entry.outputs) {
        const sinceLast = Date.now() - (lastWoken.get(output.id) ?? 0);
        if (sinceLast >= WAKE_INTERVAL_MS) {
          await wake(output);
        } else if (!held.has(output.id)) {
          held.add(output.id);
          setTimeout(() => {
            held.delete(output.id);
            wake(output).catch((err: Error) => log.warn('could not wake an output; its own timer forwards the events', { output: output.name, error: err.message }));
          }, WAKE_INTERVAL_MS - sinceLast).unref();
        }
      }
    } catch (err) {
      log.warn('could not wake the outputs of the source; their own timers forward the events', { error: (err as Error).message });
    }
  };
}

async function wakeOutput(client: Client, taskQueue: string, output: OutputRef): Promise<void> {
  const input: OutputWorkflowInput = { outputId: output.id, outputName: output.name };
  await client.workflow.signalWithStart('outputWorkflow', {
    workflowId: outputWorkflowId(output.name),
    taskQueue,
    signal: wakeOutputSignal,
    args: [input],
    staticSummary: `forwards events to output ${output.name}`,
  });
}
