import {
  allHandlersFinished,
  condition,
  continueAsNew,
  deprecatePatch,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { alertsChangedSignal, eventsPersistedSignal, silenceSettingsSignal, silenceWatchdogQuery, type SilenceWatchdogView } from '../contract/alert-messages';
import type { SilenceWatchdogInput } from '../contract/alert-workflows';
import { formatDuration } from '../contract/durations';
import { AlertOpen, SourceName } from '../contract/search-attributes';
import { silenceWindowProblem } from '../contract/settings';
import { ChangeOnlyPublisher } from './change-only-publisher';
import { WATCHDOG_PUBLISHES_CHANGES } from './patches';

/** Our own PostgreSQL: retried until it answers, since the watchdog can decide nothing without it. */
const { loadSilenceBaseline, evaluateSilence, resolveSilence } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Continue-as-new after this many wake-ups (a signal or the deadline): a source with steady events sends one per cycle. */
export const MAX_WAKEUPS_PER_RUN = 500;

/**
 * One source's silence alarm: opens one alert when no new event was persisted for the window, resolves it when
 * events flow again. The source workflow starts it with parent-close policy ABANDON and finds it again by id after
 * its own continue-as-new; the deadline lives in a durable timer, is carried across this workflow's own
 * continue-as-new, and derives from PostgreSQL on a fresh start, so no restart loses it or alerts twice.
 */
export async function silenceWatchdogWorkflow(input: SilenceWatchdogInput): Promise<void> {
  let windowSeconds = input.windowSeconds;
  let enabled = true;
  let disabledReason: string | undefined;
  let lastEventAt: number | undefined = input.carried?.lastEventAt;
  let notBefore = input.carried?.notBefore ?? 0;
  let alertOpen = input.carried?.alertOpen ?? false;
  let pendingEventsAt = input.carried?.pendingEventsAt;
  let resolveDue = input.carried?.resolveDue ?? false;
  let deadline: number | undefined;
  let woken = false;
  deprecatePatch(WATCHDOG_PUBLISHES_CHANGES);
  const publisher = new ChangeOnlyPublisher();

  setHandler(eventsPersistedSignal, ({ at }) => {
    const time = Date.parse(at);
    if (Number.isNaN(time)) return;
    lastEventAt = Math.max(lastEventAt ?? time, time);
    pendingEventsAt = Math.max(pendingEventsAt ?? time, time);
    woken = true;
  });
  setHandler(silenceSettingsSignal, (settings) => {
    enabled = settings.enabled;
    disabledReason = settings.reason;
    // The source workflow validated the window against the operator's floor; here only nonsense is refused.
    if (!silenceWindowProblem(settings.windowSeconds, { allowShort: true })) windowSeconds = settings.windowSeconds;
    woken = true;
  });
  setHandler(
    silenceWatchdogQuery,
    (): SilenceWatchdogView => ({
      windowSeconds,
      deadline: !alertOpen && deadline !== undefined ? new Date(deadline).toISOString() : null,
      alertOpen,
      lastEventAt: lastEventAt !== undefined ? new Date(lastEventAt).toISOString() : null,
    }),
  );

  async function tellSource(): Promise<void> {
    try {
      await getExternalWorkflowHandle(input.sourceWorkflowId).signal(alertsChangedSignal);
    } catch {
      // The source workflow is not running; a new run reads the open alerts itself.
    }
  }

  function publish(): void {
    const attributes = [
      { key: SourceName, value: input.sourceName },
      { key: AlertOpen, value: alertOpen },
    ];
    publisher.attributes(attributes);
    const window = formatDuration(windowSeconds);
    setCurrentDetails(
      alertOpen
        ? `**silence alert open** for source ${input.sourceName}: no new event for ${window}; it resolves when events are persisted again`
        : `silence watchdog of source ${input.sourceName}: alert at **${deadline !== undefined ? new Date(deadline).toISOString() : 'soon'}** unless new events are persisted (window ${window})`,
    );
  }

  if (!input.carried) {
    const baseline = await loadSilenceBaseline(input.sourceId);
    lastEventAt = Math.max(lastEventAt ?? 0, Date.parse(baseline.baselineAt));
    alertOpen = baseline.alertOpen;
    resolveDue = baseline.eventsSinceAlert;
  }

  for (let wakeups = 0; ; wakeups++) {
    if (!enabled) {
      if (alertOpen) await resolveSilence({ sourceId: input.sourceId, reason: disabledReason ?? 'The silence alarm was switched off.' });
      if (alertOpen) await tellSource();
      return;
    }
    if (alertOpen && (pendingEventsAt !== undefined || resolveDue)) {
      const eventsAt = pendingEventsAt;
      pendingEventsAt = undefined;
      resolveDue = false;
      const { resolved, stillOpen } = await resolveSilence({ sourceId: input.sourceId, eventsAt: eventsAt !== undefined ? new Date(eventsAt).toISOString() : undefined });
      // stillOpen is false when an operator resolved the alert first (absent from results recorded before it existed).
      if (resolved || stillOpen === false) {
        alertOpen = false;
        await tellSource();
      }
      continue;
    }
    if (!alertOpen) pendingEventsAt = undefined;

    if (wakeups >= (input.maxWakeupsPerRun ?? MAX_WAKEUPS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof silenceWatchdogWorkflow>({
        ...input,
        windowSeconds,
        carried: { lastEventAt: lastEventAt!, notBefore, alertOpen, pendingEventsAt, resolveDue },
      });
    }

    woken = false;
    if (alertOpen) {
      deadline = undefined;
      publish();
      await condition(() => woken);
      continue;
    }
    deadline = Math.max(lastEventAt! + windowSeconds * 1000, notBefore);
    publish();
    const remaining = deadline - Date.now();
    if (remaining > 0) {
      await condition(() => woken, remaining, { summary: `silence deadline ${new Date(deadline).toISOString()}` });
      continue;
    }

    const verdict = await evaluateSilence({ sourceId: input.sourceId, windowSeconds });
    switch (verdict.kind) {
      case 'removed':
        return;
      case 'paused':
        notBefore = Date.parse(verdict.recheckAt);
        break;
      case 'not-silent':
        // The database knew of newer events than the signals did. The floor keeps clocks that disagree by a
        // little from turning the wait into a busy loop.
        lastEventAt = Math.max(lastEventAt!, Date.parse(verdict.deadline) - windowSeconds * 1000);
        notBefore = Date.now() + 1000;
        break;
      case 'alerting':
        alertOpen = true;
        if (verdict.opened) await tellSource();
        break;
    }
  }
}
