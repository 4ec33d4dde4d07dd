import { condition, getExternalWorkflowHandle, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { alertsChangedSignal, type SilenceAlarmSettings, type SilenceWatchdogView } from '../contract/alert-messages';
import type { SilenceWatchdogInput } from '../contract/alert-workflows';
import { isWatchdogTaskQueue } from '../contract/task-queues';
import { formatDuration } from '../contract/durations';
import { AlertOpen, SourceName } from '../contract/search-attributes';
import { ChangeOnlyPublisher } from './change-only-publisher';
import {
  applyBaseline,
  applyResolution,
  applySettings,
  applyVerdict,
  forgetNewsUnlessAlerting,
  initialWatch,
  nextStep,
  noteEvents,
  type SilenceWatch,
  takeNews,
  type WatchdogStep,
} from './silence-decisions';

/** Our own PostgreSQL: retried until it answers, since the watchdog can decide nothing without it. */
const { loadSilenceBaseline, evaluateSilence, resolveSilence } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Continue-as-new after this many wake-ups (a signal or the deadline): a source with steady events sends one per cycle. */
export const MAX_WAKEUPS_PER_RUN = 500;

/**
 * The bound on the watchdogs' own queue, whose small cache has a watchdog replay its run at most wakes: a replay costs
 * about 1.4 ms of CPU a workflow task, so a run of 500 wake-ups would cost 0.7 s a wake at its end. No run of an earlier
 * release is on that queue, so its runs need no patch for this bound.
 */
export const MAX_WAKEUPS_PER_RUN_ON_WATCHDOG_QUEUE = 10;

/**
 * A silence watchdog's state, what its messages do to it, and each step of its loop, as SourceController is to the
 * source workflow. The decisions themselves are plain functions (silence-decisions.ts); this class carries them out.
 */
export class SilenceWatchdog {
  private readonly watch: SilenceWatch;
  /** The deadline shown while no alert is open. */
  private deadline: number | undefined;
  /** Set by every message: it ends a wait early. */
  private woken = false;
  private readonly publisher = new ChangeOnlyPublisher();

  constructor(private readonly input: SilenceWatchdogInput) {
    this.watch = initialWatch(input.windowSeconds, input.carried);
  }

  eventsPersisted(at: string): void {
    if (noteEvents(this.watch, at)) this.woken = true;
  }

  settingsChanged(settings: SilenceAlarmSettings & { reason?: string }): void {
    applySettings(this.watch, settings);
    this.woken = true;
  }

  view(): SilenceWatchdogView {
    const { windowSeconds, alertOpen, lastEventAt } = this.watch;
    return {
      windowSeconds,
      deadline: !alertOpen && this.deadline !== undefined ? new Date(this.deadline).toISOString() : null,
      alertOpen,
      lastEventAt: lastEventAt !== undefined ? new Date(lastEventAt).toISOString() : null,
    };
  }

  /** A fresh start reads the deadline and the open alert from PostgreSQL; a continued run has them carried. */
  async load(): Promise<void> {
    if (this.input.carried) return;
    applyBaseline(this.watch, await loadSilenceBaseline(this.input.sourceId));
  }

  nextStep(wakeups: number): WatchdogStep {
    forgetNewsUnlessAlerting(this.watch);
    const bound = isWatchdogTaskQueue(workflowInfo().taskQueue) ? MAX_WAKEUPS_PER_RUN_ON_WATCHDOG_QUEUE : MAX_WAKEUPS_PER_RUN;
    const runIsLong = wakeups >= (this.input.maxWakeupsPerRun ?? bound) || workflowInfo().continueAsNewSuggested;
    return nextStep(this.watch, { now: Date.now(), runIsLong });
  }

  /** The alarm was switched off: its open alert resolves, and the watchdog ends. */
  async switchOff(): Promise<void> {
    if (!this.watch.alertOpen) return;
    await resolveSilence({ sourceId: this.input.sourceId, reason: this.watch.disabledReason ?? 'The silence alarm was switched off.' });
    await this.tellSource();
  }

  /** Events came while the alert was open: PostgreSQL decides whether they resolve it. */
  async resolve(): Promise<void> {
    const eventsAt = takeNews(this.watch);
    const result = await resolveSilence({ sourceId: this.input.sourceId, eventsAt: eventsAt !== undefined ? new Date(eventsAt).toISOString() : undefined });
    if (applyResolution(this.watch, result)) await this.tellSource();
  }

  /** The input of the next run, which carries what this one knows. */
  continuedInput(): SilenceWatchdogInput {
    const { windowSeconds, lastEventAt, notBefore, alertOpen, pendingEventsAt, resolveDue } = this.watch;
    return { ...this.input, windowSeconds, carried: { lastEventAt: lastEventAt!, notBefore, alertOpen, pendingEventsAt, resolveDue } };
  }

  /** While an alert is open there is no deadline: only events (or settings) wake the watchdog. */
  async waitForEvents(): Promise<void> {
    this.woken = false;
    this.show(undefined);
    await condition(() => this.woken);
  }

  async waitUntil(deadline: number): Promise<void> {
    this.woken = false;
    this.show(deadline);
    await condition(() => this.woken, deadline - Date.now(), { summary: `silence deadline ${new Date(deadline).toISOString()}` });
  }

  /** The deadline passed: PostgreSQL confirms the silence before an alert opens. True when the source is gone. */
  async evaluate(deadline: number): Promise<boolean> {
    this.show(deadline);
    const verdict = await evaluateSilence({ sourceId: this.input.sourceId, windowSeconds: this.watch.windowSeconds });
    const effect = applyVerdict(this.watch, verdict, Date.now());
    if (effect === 'opened') await this.tellSource();
    return effect === 'removed';
  }

  /** The source workflow re-reads its open alerts, so that its AlertOpen attribute follows. */
  private async tellSource(): Promise<void> {
    try {
      await getExternalWorkflowHandle(this.input.sourceWorkflowId).signal(alertsChangedSignal);
    } catch {
      // The source workflow is not running; a new run reads the open alerts itself.
    }
  }

  private show(deadline: number | undefined): void {
    this.deadline = deadline;
    const { input } = this;
    const { alertOpen, windowSeconds } = this.watch;
    this.publisher.attributes([
      { key: SourceName, value: input.sourceName },
      { key: AlertOpen, value: alertOpen },
    ]);
    const window = formatDuration(windowSeconds);
    setCurrentDetails(
      alertOpen
        ? `**silence alert open** for source ${input.sourceName}: no new event for ${window}; it resolves when events are persisted again`
        : `silence watchdog of source ${input.sourceName}: alert at **${deadline !== undefined ? new Date(deadline).toISOString() : 'soon'}** unless new events are persisted (window ${window})`,
    );
  }
}
