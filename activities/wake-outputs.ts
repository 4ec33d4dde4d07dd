import { Context } from '@temporalio/activity';
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
 * After a page committed new events: wakes the workflows of the active outputs that take the source, starting one
 * that is not running. Only a shortcut (each output's own timer comes anyway), so a failure is logged, never raised.
 */
export function createOutputWaker(db: Database) {
  const cache = new Map<string, { outputs: { id: string; name: string }[]; until: number }>();
  return async function wakeOutputsOf(sourceId: string): Promise<void> {
    let context: Context;
    try {
      context = Context.current();
    } catch {
      return;
    }
    try {
      let entry = cache.get(sourceId);
      if (!entry || entry.until < Date.now()) {
        entry = { outputs: await activeOutputsOfSource(db, sourceId), until: Date.now() + CACHE_MS };
        cache.set(sourceId, entry);
      }
      for (const output of entry.outputs) {
        const input: OutputWorkflowInput = { outputId: output.id, outputName: output.name };
        await context.client.workflow.signalWithStart('outputWorkflow', {
          workflowId: outputWorkflowId(output.name),
          taskQueue: context.info.taskQueue,
          signal: wakeOutputSignal,
          args: [input],
          staticSummary: `forwards events to output ${output.name}`,
        });
      }
    } catch (err) {
      context.log.warn('could not wake the outputs of the source; their own timers forward the events', { error: (err as Error).message });
    }
  };
}
