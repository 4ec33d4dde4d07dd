import { workflowInfo } from '@temporalio/workflow';

/** Continue-as-new after this many cycles even if Temporal does not suggest it yet: history stays small. */
export const MAX_CYCLES_PER_RUN = 200;
/**
 * Continue-as-new past this many history events too. A backfill writes an event or more a page; a worker that takes
 * over a source (its own died, or the task timed out) replays the whole run before the next page. A backfill's run
 * costs about 1.7 ms of CPU an event to replay (an activation a page; `npm run bench:takeover-replay`), so a run of
 * 1,000 events held a takeover up for 1.6 to 2.1 s of CPU, and one worker often takes over several sources at once:
 * a short run is a quick takeover.
 */
export const MAX_HISTORY_EVENTS_PER_RUN = 300;

/** Whether a run at `cycle` cycles should continue-as-new now: past its cycles, or past MAX_HISTORY_EVENTS_PER_RUN events. */
export function runIsLong(cycle: number, maxCyclesPerRun: number | undefined): boolean {
  const { historyLength, continueAsNewSuggested } = workflowInfo();
  return cycle >= (maxCyclesPerRun ?? MAX_CYCLES_PER_RUN) || continueAsNewSuggested || historyLength >= MAX_HISTORY_EVENTS_PER_RUN;
}
