import { workflowInfo } from '@temporalio/workflow';

/** Continue-as-new after this many cycles even if Temporal does not suggest it yet: history stays small. */
export const MAX_CYCLES_PER_RUN = 200;
/**
 * Continue-as-new past this many history events too. A backfill writes an event or more a page; a worker that takes
 * over a source (its own died, or the task timed out) replays the whole run before the next page, and one worker often
 * takes over several sources at once: the shorter the run, the sooner they all go on (`npm run bench:takeover-replay`
 * measures it).
 */
export const MAX_HISTORY_EVENTS_PER_RUN = 300;

/** Whether a run at `cycle` cycles should continue-as-new now: past its cycles, or past MAX_HISTORY_EVENTS_PER_RUN events. */
export function runIsLong(cycle: number, maxCyclesPerRun: number | undefined): boolean {
  const { historyLength, continueAsNewSuggested } = workflowInfo();
  return cycle >= (maxCyclesPerRun ?? MAX_CYCLES_PER_RUN) || continueAsNewSuggested || historyLength >= MAX_HISTORY_EVENTS_PER_RUN;
}
