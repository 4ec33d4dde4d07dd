import { allHandlersFinished, condition, continueAsNew, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { alertsChangedSignal, setSilenceAlarmUpdate } from '../contract/alert-messages';
import { pollIntervalProblem } from '../contract/settings';
import { keyRotatedSignal, pauseSignal, pollNowSignal, resumeSignal, setIntervalSignal, setIntervalUpdate, statusQuery, stopSignal } from '../contract/source-messages';
import type { SourceWorkflowInput } from '../contract/source-workflow';
import { SourceAlerting, validateAlarmChange } from './source-alerting';
import { SourceController } from './source-controller';
import { RUN_BOUNDED_BY_HISTORY } from './patches';

/** Continue-as-new after this many cycles even if Temporal does not suggest it yet: history stays small. */
export const MAX_CYCLES_PER_RUN = 200;
/**
 * Continue-as-new past this many history events too. A backfill writes an event or more a page; a worker that takes
 * over a source (its own died, or the task timed out) replays the whole run before the next page, so a short run is a
 * quick takeover.
 */
export const MAX_HISTORY_EVENTS_PER_RUN = 1_000;
/** How long a source whose page a stopping worker handed back waits before the next one: the shortest timer. */
const HAND_BACK_PAUSE_MS = 1;

/**
 * The long-lived workflow of one log source: ingest pages until caught up, publish progress, wait out the interval on
 * a timer that signals can cut short, and continue-as-new with its small state. Event bodies never pass through here.
 */
export async function sourceWorkflow(input: SourceWorkflowInput): Promise<void> {
  const source = new SourceController(input);
  const alerting = new SourceAlerting(input, source.state, () => source.publish());
  // Before the first await, so that no query fails and no signal waits.
  setHandler(pauseSignal, (reason) => source.pause(reason));
  setHandler(resumeSignal, () => source.resume());
  setHandler(pollNowSignal, () => source.pollNow());
  setHandler(keyRotatedSignal, () => source.keyRotated());
  setHandler(stopSignal, () => source.stop());
  // A signal cannot be rejected, so an out-of-range value is ignored there; the update tells its caller why.
  setHandler(setIntervalSignal, async (seconds) => {
    if (!pollIntervalProblem(seconds)) await source.changeInterval(seconds);
  });
  setHandler(setIntervalUpdate, (seconds) => source.changeInterval(seconds), { validator: rejectBadInterval });
  setHandler(statusQuery, () => source.statusView());
  setHandler(setSilenceAlarmUpdate, (change) => alerting.changeAlarm(change), { validator: validateAlarmChange });
  setHandler(alertsChangedSignal, () => alerting.alertsChanged());

  await source.load();
  await alerting.start();
  for (let cycle = 1; !source.stopRequested; cycle++) {
    if (source.state.paused) {
      await source.waitWhilePaused();
      continue;
    }
    if (source.state.failureReason) {
      await source.waitForRetry();
      continue;
    }
    const outcome = await source.runCycle();
    if (outcome.kind === 'removed') {
      await alerting.stopping('The source was removed.');
      await condition(allHandlersFinished);
      return;
    }
    await alerting.afterCycle(outcome);
    source.publish();

    if (source.stopRequested) break;
    const longHistory = patched(RUN_BOUNDED_BY_HISTORY) && workflowInfo().historyLength >= MAX_HISTORY_EVENTS_PER_RUN;
    if (cycle >= (input.maxCyclesPerRun ?? MAX_CYCLES_PER_RUN) || workflowInfo().continueAsNewSuggested || longHistory) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof sourceWorkflow>({ ...input, carried: source.state });
    }
    if (outcome.kind === 'caught-up' || outcome.kind === 'error') await source.waitForNextPoll();
    // A timer ends the workflow task, so the stopping worker drains; the next cycle runs on another worker.
    if (outcome.kind === 'handed-back') await sleep(HAND_BACK_PAUSE_MS);
  }
  source.markStopping();
  await alerting.stopping('The source was stopped for removal.');
  await condition(allHandlersFinished);
}

function rejectBadInterval(seconds: number): void {
  const problem = pollIntervalProblem(seconds);
  if (problem) throw new Error(problem);
}
