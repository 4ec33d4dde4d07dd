import { allHandlersFinished, condition, continueAsNew, setHandler, sleep } from '@temporalio/workflow';
import { alertsChangedSignal, setSilenceAlarmUpdate } from '../contract/alert-messages';
import { pollIntervalProblem } from '../contract/settings';
import { keyRotatedSignal, pauseSignal, pollNowSignal, resumeSignal, setIntervalSignal, setIntervalUpdate, statusQuery, stopSignal } from '../contract/source-messages';
import type { SourceWorkflowInput } from '../contract/source-workflow';
import { MAX_HISTORY_EVENTS_PER_RUN_BEFORE_SHORTER_RUNS, runIsLong } from './run-length';
import { SourceAlerting, validateAlarmChange } from './source-alerting';
import { SourceController } from './source-controller';
import type { TimerWait } from './updatable-timer';

/** How long a source whose page a stopping worker handed back waits before the next one: the shortest timer. */
const HAND_BACK_PAUSE_MS = 1;

/**
 * The source workflow as it ran before its handlers handed their work to the loop (MESSAGES_APPLIED_BY_LOOP), kept
 * unchanged so that runs begun before still replay. Such a run continues-as-new into the current loop within a few
 * hours. Its handlers await activities and signals beside the page loop, which can replay in another order.
 */
export async function sourceLoopBeforeHandedWork(input: SourceWorkflowInput): Promise<void> {
  const source = new SourceController(input);
  const alerting = new SourceAlerting(input, source.state, () => source.publish());
  // Before the first await, so that no query fails and no signal waits.
  setHandler(pauseSignal, (reason) => source.pause(reason));
  setHandler(resumeSignal, () => source.resume());
  setHandler(pollNowSignal, () => source.pollNow());
  setHandler(keyRotatedSignal, () => source.keyRotated());
  setHandler(stopSignal, () => source.stop());
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
    if (runIsLong(cycle, input.maxCyclesPerRun, MAX_HISTORY_EVENTS_PER_RUN_BEFORE_SHORTER_RUNS)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof sourceLoopBeforeHandedWork>({ ...input, carried: source.state });
    }
    if (outcome.kind === 'caught-up' || outcome.kind === 'error') await source.waitForNextPoll(sleepCancellingTimers);
    if (outcome.kind === 'handed-back') await sleep(HAND_BACK_PAUSE_MS);
  }
  source.markStopping();
  await alerting.stopping('The source was stopped for removal.');
  await condition(allHandlersFinished);
}

export function rejectBadInterval(seconds: number): void {
  const problem = pollIntervalProblem(seconds);
  if (problem) throw new Error(problem);
}

/** The wait as it was: a timer per deadline, cancelled when the deadline moves or `cutShort` turns true. */
const sleepCancellingTimers: TimerWait = async (timer, { cutShort, beforeEachTimer, summary }) => {
  for (;;) {
    const remaining = timer.deadline - Date.now();
    if (remaining <= 0) return true;
    timer.moved = false;
    await beforeEachTimer();
    const woken = await condition(() => timer.moved || cutShort(), remaining, { summary: summary(remaining) });
    if (!woken) return true;
    if (cutShort()) return false;
  }
};
