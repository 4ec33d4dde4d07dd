import { patched, workflowInfo } from '@temporalio/workflow';
import { RUN_BOUNDED_BY_HISTORY } from './patches';

/** Continue-as-new after this many cycles even if Temporal does not suggest it yet: history stays small. */
export const MAX_CYCLES_PER_RUN = 200;
/**
 * Continue-as-new past this many history events too. A backfill writes an event or more a page; a worker that takes
 * over a source (its own died, or the task timed out) replays the whole run before the next page, so a short run is a
 * quick takeover.
 */
export const MAX_HISTORY_EVENTS_PER_RUN = 1_000;

/** Whether a run that has gone through `cycle` cycles should continue-as-new now. */
export function runIsLong(cycle: number, maxCyclesPerRun = MAX_CYCLES_PER_RUN): boolean {
  const longHistory = patched(RUN_BOUNDED_BY_HISTORY) && workflowInfo().historyLength >= MAX_HISTORY_EVENTS_PER_RUN;
  return cycle >= maxCyclesPerRun || workflowInfo().continueAsNewSuggested || longHistory;
}
