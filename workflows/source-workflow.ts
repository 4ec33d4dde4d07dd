import { allHandlersFinished, continueAsNew, deprecatePatch, patched, setHandler } from '@temporalio/workflow';
import { alertsChangedSignal, setSilenceAlarmUpdate } from '../contract/alert-messages';
import { pollIntervalProblem } from '../contract/settings';
import { keyRotatedSignal, pauseSignal, pollNowSignal, resumeSignal, setIntervalSignal, setIntervalUpdate, statusQuery, stopSignal } from '../contract/source-messages';
import type { SourceWorkflowInput } from '../contract/source-workflow';
import {
  CONTINUED_RUNS_START_QUIETLY,
  MESSAGES_APPLIED_BY_LOOP,
  PAGES_IN_BATCHES,
  POLLS_ON_A_GRID,
  PUBLISH_ONLY_CHANGES,
  RUN_BOUNDED_BY_HISTORY,
  SETTINGS_WRITTEN_BY_WORKFLOW,
  SHORTER_RUNS,
  WATCHDOG_TOLD_SPARINGLY,
} from './patches';
import { runIsLong } from './run-length';
import { SourceAlerting, validateAlarmChange } from './source-alerting';
import { SourceController } from './source-controller';
import { PAGES_PER_ACTIVITY } from './source-pages';

/**
 * The long-lived workflow of one log source: ingest pages until caught up, publish progress, wait out the interval on
 * a timer that messages can cut short, and continue-as-new with its small state. Event bodies never pass through here.
 *
 * Message handlers do nothing themselves: they hand their work to this loop (see HandedWork), which runs it after the
 * wait that ends each cycle, never while pages run.
 */
export async function sourceWorkflow(input: SourceWorkflowInput): Promise<void> {
  // Every run of a supported release has taken these changes. Their markers go in the first workflow task, where and
  // in the order that v0.1.0 decided them, so that its runs replay; v0.3.0 drops the calls.
  deprecatePatch(MESSAGES_APPLIED_BY_LOOP);
  deprecatePatch(SETTINGS_WRITTEN_BY_WORKFLOW);
  deprecatePatch(PUBLISH_ONLY_CHANGES);
  deprecatePatch(POLLS_ON_A_GRID);
  deprecatePatch(RUN_BOUNDED_BY_HISTORY);
  deprecatePatch(WATCHDOG_TOLD_SPARINGLY);
  deprecatePatch(SHORTER_RUNS);
  const pagesPerActivity = patched(PAGES_IN_BATCHES) ? PAGES_PER_ACTIVITY : 1;
  // Asked by a continued run only: a fresh start writes no marker for it.
  const startsQuietly = input.carried !== undefined && patched(CONTINUED_RUNS_START_QUIETLY);

  const source = new SourceController(input, pagesPerActivity, startsQuietly);
  const alerting = new SourceAlerting(input, source.state, () => source.visibility.publish(), startsQuietly);
  const handOver = <T>(work: () => Promise<T> | T): Promise<T> => source.handedWork.submit(async () => work());
  // Before the first await, so that no query fails and no signal waits.
  setHandler(pauseSignal, (reason) => handOver(() => source.pause(reason)));
  setHandler(resumeSignal, () => handOver(() => source.resume()));
  setHandler(pollNowSignal, () => handOver(() => source.pollNow()));
  setHandler(keyRotatedSignal, () => handOver(() => source.keyRotated()));
  setHandler(stopSignal, () => handOver(() => source.stop()));
  // A signal cannot be rejected, so an out-of-range value is ignored there; the update tells its caller why.
  setHandler(setIntervalSignal, async (seconds) => {
    if (!pollIntervalProblem(seconds)) await handOver(() => source.changeInterval(seconds));
  });
  setHandler(setIntervalUpdate, (seconds) => handOver(() => source.changeInterval(seconds)), { validator: rejectBadInterval });
  setHandler(statusQuery, () => source.visibility.statusView());
  setHandler(setSilenceAlarmUpdate, (change) => handOver(() => alerting.changeAlarm(change)), { validator: validateAlarmChange });
  setHandler(alertsChangedSignal, () => handOver(() => alerting.alertsChanged()));
  // Handlers wait for the loop to run their work, so the loop runs it while it waits for them.
  const settleHandlers = () => source.handedWork.runUntil(allHandlersFinished);

  await source.load();
  await alerting.start();
  for (let cycle = 0; ; cycle++) {
    await source.handedWork.drain();
    if (cycle > 0 && runIsLong(cycle, input.maxCyclesPerRun)) {
      await settleHandlers();
      if (!source.stopRequested) await continueAsNew<typeof sourceWorkflow>({ ...input, carried: source.state });
    }
    if (source.stopRequested) break;
    if (source.state.paused) {
      await source.waitWhilePaused();
      continue;
    }
    if (source.state.failureReason) {
      await source.waitForRetry();
      continue;
    }
    const outcome = await source.runCycle();
    if (outcome.kind !== 'removed') {
      await alerting.afterCycle(outcome);
      source.visibility.publish();
    }
    await source.waitAfterCycle(outcome);
    if (outcome.kind === 'removed') {
      await alerting.stopping('The source was removed.');
      await settleHandlers();
      return;
    }
  }
  source.markStopping();
  await alerting.stopping('The source was stopped for removal.');
  await settleHandlers();
}

function rejectBadInterval(seconds: number): void {
  const problem = pollIntervalProblem(seconds);
  if (problem) throw new Error(problem);
}
