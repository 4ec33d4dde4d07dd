import { allHandlersFinished, condition, continueAsNew, deprecatePatch, makeContinueAsNewFunc, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { eventsPersistedSignal, silenceSettingsSignal, silenceWatchdogQuery } from '../contract/alert-messages';
import type { SilenceWatchdogInput } from '../contract/alert-workflows';
import { isWatchdogTaskQueue, watchdogTaskQueue } from '../contract/task-queues';
import { WATCHDOG_PUBLISHES_CHANGES, WATCHDOGS_ON_THEIR_QUEUE } from './patches';
import { SilenceWatchdog } from './silence-watchdog-controller';

export { MAX_WAKEUPS_PER_RUN } from './silence-watchdog-controller';

/**
 * One source's silence alarm: opens one alert when no new event was persisted for the window, resolves it when
 * events flow again. The source workflow starts it with parent-close policy ABANDON and finds it again by id after
 * its own continue-as-new; the deadline lives in a durable timer, is carried across this workflow's own
 * continue-as-new, and derives from PostgreSQL on a fresh start, so no restart loses it or alerts twice.
 */
export async function silenceWatchdogWorkflow(input: SilenceWatchdogInput): Promise<void> {
  // Every run of a supported release has taken this change; v0.3.0 drops the call.
  deprecatePatch(WATCHDOG_PUBLISHES_CHANGES);
  const watchdog = new SilenceWatchdog(input);
  setHandler(eventsPersistedSignal, ({ at }) => watchdog.eventsPersisted(at));
  setHandler(silenceSettingsSignal, (settings) => watchdog.settingsChanged(settings));
  setHandler(silenceWatchdogQuery, () => watchdog.view());

  await watchdog.load();
  for (let wakeups = 0; ; wakeups++) {
    const step = watchdog.nextStep(wakeups);
    switch (step.kind) {
      case 'switch-off':
        return watchdog.switchOff();
      case 'resolve':
        await watchdog.resolve();
        break;
      case 'continue-as-new':
        await condition(allHandlersFinished);
        return continueOnWatchdogQueue(watchdog.continuedInput());
      case 'wait-for-events':
        await watchdog.waitForEvents();
        break;
      case 'wait-until':
        await watchdog.waitUntil(step.deadline);
        break;
      case 'evaluate':
        if (await watchdog.evaluate(step.deadline)) return;
        break;
    }
  }
}

/** A watchdog that its source started on the source's own queue (an earlier release) moves to the watchdogs' queue. */
function continueOnWatchdogQueue(input: SilenceWatchdogInput): Promise<never> {
  const { taskQueue } = workflowInfo();
  if (isWatchdogTaskQueue(taskQueue) || !patched(WATCHDOGS_ON_THEIR_QUEUE)) return continueAsNew<typeof silenceWatchdogWorkflow>(input);
  return makeContinueAsNewFunc<typeof silenceWatchdogWorkflow>({ taskQueue: watchdogTaskQueue(taskQueue) })(input);
}
