import { Context } from '@temporalio/activity';
import type { Database } from '../store/database';
import { activeOutputsOfSource, type OutputBatching } from '../store/outputs';
import { startOutputWorkflow } from '../outputs/start-output-workflow';
import type { RoundsInProcess } from './rounds-in-process';

/**
 * How long a source's list of outputs is reused: pages of a backfill come seconds apart, and a new output is woken
 * by its own start. So a source without outputs costs one small query every few seconds, not one per page.
 */
const CACHE_MS = 5_000;
/**
 * An output is woken at most this often by one worker: a backfill stores several pages a second, and each wake costs
 * the output a workflow task and a round.
 */
const WAKE_INTERVAL_MS = 1_000;

type OutputRef = { id: string; name: string; batching: OutputBatching };
/** Sends one output its wake (signalWithStart): the activity's context gives the client and the task queue. */
export type OutputWake = (context: Context, output: OutputRef) => Promise<void>;

/** What one worker knows of an output's wakes: when it last woke it, how many events it stored since, the held wake. */
interface WakeState {
  lastWokenAt: number;
  eventsSince: number;
  held?: { dueAt: number; timer: NodeJS.Timeout };
}

/**
 * After a page committed new events: wakes the workflows of the active outputs that take the source, starting one
 * that is not running. Only a shortcut (each output's own timer comes anyway), so a failure is logged, never raised.
 *
 * A wake goes when the output may have a batch due: a full batch's worth of events stored since the last wake, or the
 * batch age passed since then. A round woken sooner finds a batch still filling, reads that it is young, and waits on
 * its timer for the batch's age: a workflow task, an activity and their queries for nothing, taken from ingestion
 * while a backfill runs (bench:forward). A wake held back is sent when it is due, so the events of the last page never
 * wait for the output's idle timer.
 *
 * Once the worker begins to stop, held wakes are dropped and no more are held: one due later would go out through a
 * connection the stopped worker has closed, and fail. A round that found the batch young already waits for its age.
 */
export function createOutputWaker(db: Database, wakeOutput: OutputWake = signalOutput, workerStopping?: AbortSignal) {
  const cache = new Map<string, { outputs: OutputRef[]; until: number }>();
  const wakes = new Map<string, WakeState>();
  workerStopping?.addEventListener(
    'abort',
    () => {
      for (const state of wakes.values()) {
        clearTimeout(state.held?.timer);
        state.held = undefined;
      }
    },
    { once: true },
  );
  return async function wakeOutputsOf(sourceId: string, inserted: number): Promise<void> {
    let context: Context;
    try {
      context = Context.current();
    } catch {
      return;
    }
    const { log } = context;
    const consider = async (output: OutputRef, state: WakeState): Promise<void> => {
      const fullBatchStored = state.eventsSince >= output.batching.maxEvents;
      const dueAt = state.lastWokenAt + Math.max(WAKE_INTERVAL_MS, fullBatchStored ? 0 : output.batching.maxAgeSeconds * 1000);
      if (dueAt <= Date.now()) {
        clearTimeout(state.held?.timer);
        Object.assign(state, { lastWokenAt: Date.now(), eventsSince: 0, held: undefined });
        await wakeOutput(context, output);
      } else if (!workerStopping?.aborted && (!state.held || dueAt < state.held.dueAt)) {
        clearTimeout(state.held?.timer);
        const timer = setTimeout(() => {
          state.held = undefined;
          consider(output, state).catch((err: Error) => log.warn('could not wake an output; its own timer forwards the events', { output: output.name, error: err.message }));
        }, dueAt - Date.now());
        state.held = { dueAt, timer: timer.unref() };
      }
    };
    try {
      let entry = cache.get(sourceId);
      if (!entry || entry.until < Date.now()) {
        entry = { outputs: await activeOutputsOfSource(db, sourceId), until: Date.now() + CACHE_MS };
        cache.set(sourceId, entry);
      }
      for (const output of entry.outputs) {
        let state = wakes.get(output.id);
        if (!state) wakes.set(output.id, (state = { lastWokenAt: 0, eventsSince: 0 }));
        state.eventsSince += inserted;
        await consider(output, state);
      }
    } catch (err) {
      log.warn('could not wake the outputs of the source; their own timers forward the events', { error: (err as Error).message });
    }
  };
}

/** Wakes a round of the output running in this process, which then needs no signal; else signals its workflow. */
export function wakeRoundOrSignal(rounds: RoundsInProcess, signal: OutputWake = signalOutput): OutputWake {
  return async (context, output) => {
    if (!rounds.wake(output.id)) await signal(context, output);
  };
}

// Read only to wake: an activity run without a client (a mock environment) throws here, and has no outputs.
async function signalOutput(context: Context, output: OutputRef): Promise<void> {
  await startOutputWorkflow(context.client, output, context.info.taskQueue);
}
