import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { AUTH_REJECTED, BAD_REQUEST, CONTENT_STALLED, ORG_NOT_FOUND, PAGE_HANDED_BACK, SOURCE_REMOVED } from '../contract/failure-types';
import { AlertOpen, EventsIngested, LastEventTime, OrganizationId, SourceName, SourceStatus } from '../contract/search-attributes';
import type { CarriedState, PageSummary, SourcePhase, SourceStatusView, SourceWorkflowInput } from '../contract/source-workflow';
import { ChangeOnlyPublisher } from './change-only-publisher';
import { HandedWork } from './handed-work';
import { POLLS_ON_A_GRID, PUBLISH_ONLY_CHANGES, SETTINGS_WRITTEN_BY_WORKFLOW } from './patches';
import { momentOrHandedWork, type TimerWait, UpdatableTimer, waitHandlingWork } from './updatable-timer';

/**
 * Pages run as local activities (one page each, or a batch of pages under PAGES_IN_BATCHES): a page costs no round
 * trip through the Temporal server, which would otherwise cost as much as the page itself during a backfill. That is
 * safe because a page is idempotent: if the worker dies, the pages since its last workflow task are simply run again
 * from the checkpoint in PostgreSQL.
 * Transient API trouble is retried a few times; then the cycle counts an error and waits.
 */
const { ingestPage, ingestPages } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
});

/** Bookkeeping against our own PostgreSQL: retried until it works, since nothing else can proceed without it. */
const { loadSourceState, recordSourceStatus, saveSourceSettings } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * Failures that retrying cannot fix: the source stops until an operator rotates the key or resumes it. (A type added
 * here is replay-safe as long as no saved history holds it: no past run could have taken the other branch.)
 */
const CONFIGURATION_FAILURES = new Set([AUTH_REJECTED, ORG_NOT_FOUND, BAD_REQUEST, CONTENT_STALLED]);

/** A cycle ends after this many pages even when more wait, so state is published and history checked regularly. */
export const MAX_PAGES_PER_CYCLE = 50;
/** How many pages one local activity ingests under PAGES_IN_BATCHES: the workflow's round trip is paid once for them. */
export const PAGES_PER_ACTIVITY = 10;

/** Placeholder values a fresh start shows until it has read the source's stored state. */
const NOT_YET_LOADED: CarriedState = {
  paused: false,
  pollIntervalSeconds: 0,
  pollNowRequested: false,
  retryRequested: false,
  eventsIngested: 0,
  pagesFetched: 0,
  errors: 0,
  lastEventTime: null,
  backfillCompleted: false,
  backfillPercent: 0,
};

type CycleEnd = { kind: 'caught-up' | 'more-pages' | 'handed-back' | 'error' | 'removed' } | { kind: 'rejected'; reason: string; failureType: string };
/**
 * How a cycle of pages ended, and how many new events its pages inserted. `stored` is how much the checkpoint's count
 * grew meanwhile: it also counts events that a page of a lost workflow task stored (that task's result never came,
 * and its page run again inserts nothing).
 */
export type CycleOutcome = CycleEnd & { inserted: number; stored: number };

/**
 * A source's state and what its messages and its loop do to it, in the manner of the safe-message-handlers sample's
 * ClusterManager: the workflow function registers the handlers and sequences the loop, this class does the work.
 */
export class SourceController {
  readonly state: CarriedState;
  stopRequested = false;
  /** What message handlers hand over, for the loop to run where no page is in flight. */
  readonly handedWork = new HandedWork();
  private phase: SourcePhase = 'starting';
  private recordedStatus: string | undefined;
  /** When the latest cycle began: its poll's grid point, from which the next one is counted. */
  private cycleStartedAt = Date.now();
  private readonly publisher = new ChangeOnlyPublisher();
  /** The latest wait between cycles: an interval change moves its deadline, and the status shows it. */
  private timer: UpdatableTimer | undefined;
  /** Until a fresh start has read its stored state, what signals change is also kept here and applied on top. */
  private earlyChanges: Partial<CarriedState> | undefined;

  /**
   * `pagesPerActivity` above 1 asks for pages in batches (ingestPages); runs begun before PAGES_IN_BATCHES ask for one
   * at a time, as they did.
   */
  constructor(
    private readonly input: SourceWorkflowInput,
    private readonly pagesPerActivity = 1,
  ) {
    this.state = input.carried ?? { ...NOT_YET_LOADED };
    this.earlyChanges = input.carried ? undefined : {};
  }

  pause(reason?: string): void {
    this.change({ paused: true, pauseReason: reason });
  }

  resume(): void {
    this.change({ paused: false, pauseReason: undefined, retryRequested: true });
  }

  pollNow(): void {
    this.change({ pollNowRequested: true });
  }

  /** A source stopped by a rejected key tries again; a running one simply reads the new key on its next page. */
  keyRotated(): void {
    this.change({ retryRequested: true });
  }

  /** Graceful stop before removal: the page in flight is finished first. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Validated by the caller, then stored, then applied: PostgreSQL never lags what the workflow runs with. */
  async changeInterval(seconds: number): Promise<{ previousSeconds: number; seconds: number }> {
    if (patched(SETTINGS_WRITTEN_BY_WORKFLOW)) await saveSourceSettings({ sourceId: this.input.sourceId, pollIntervalSeconds: seconds });
    const previousSeconds = this.state.pollIntervalSeconds;
    this.change({ pollIntervalSeconds: seconds });
    if (this.timer) this.timer.deadline = this.timer.startedAt + seconds * 1000;
    return { previousSeconds, seconds };
  }

  /** A fresh start reads its settings and counters from PostgreSQL; a continued run has them carried. */
  async load(): Promise<void> {
    if (!this.earlyChanges) return;
    Object.assign(this.state, await loadSourceState(this.input.sourceId), this.earlyChanges);
    this.earlyChanges = undefined;
  }

  async waitWhilePaused(): Promise<void> {
    await this.setPhase('paused');
    await this.handedWork.runUntil(() => !this.state.paused || this.stopRequested);
  }

  /** A source stopped by a rejected key waits for a key rotation or a resume. */
  async waitForRetry(): Promise<void> {
    await this.setPhase('failed');
    await this.handedWork.runUntil(() => this.state.retryRequested || this.stopRequested);
    if (this.state.retryRequested) this.state.failureReason = undefined;
  }

  /**
   * The wait that ends every cycle of the current loop: for the next poll, for a new key, or a moment. Only after it
   * does the loop look at what handlers handed over (see HandedWork).
   */
  async waitAfterCycle(outcome: CycleOutcome): Promise<void> {
    if (outcome.kind === 'caught-up' || outcome.kind === 'error') await this.waitForNextPoll();
    // It issues no command before it runs what was handed over, so either way history holds the same ones.
    else if (outcome.kind === 'rejected') await this.waitForRetry();
    // A handed-back page's timer also ends the workflow task, so the stopping worker drains.
    else await momentOrHandedWork(this.handedWork);
  }

  /** Pages until caught up, for at most MAX_PAGES_PER_CYCLE pages. */
  async runCycle(): Promise<CycleOutcome> {
    // Cleared before the cycle, not after a failure: a key rotated while the failing page was in flight still counts.
    this.state.retryRequested = false;
    this.state.pollNowRequested = false;
    this.cycleStartedAt = Date.now();
    await this.setPhase(this.state.backfillCompleted ? 'polling' : 'backfilling');
    let inserted = 0;
    const countedBefore = this.state.eventsIngested;
    const ended = (end: CycleEnd): CycleOutcome => ({ ...end, inserted, stored: this.state.eventsIngested - countedBefore });
    for (let page = 1; page <= MAX_PAGES_PER_CYCLE; ) {
      this.phase = this.state.backfillCompleted ? 'polling' : 'backfilling';
      let summary: PageSummary;
      try {
        const options = { summary: this.pageSummary(page) };
        const { sourceId } = this.input;
        summary =
          this.pagesPerActivity > 1
            ? await ingestPages.executeWithOptions(options, [{ sourceId, maxPages: Math.min(this.pagesPerActivity, MAX_PAGES_PER_CYCLE - page + 1) }])
            : await ingestPage.executeWithOptions(options, [{ sourceId }]);
      } catch (err) {
        return ended(this.pageFailed(err));
      }
      inserted += summary.inserted;
      this.recordPage(summary);
      if (!summary.hasMore) return ended({ kind: 'caught-up' });
      // Only the loop before handed work sees a pause or stop here; the current one applies them after the cycle.
      if (this.state.paused || this.stopRequested) break;
      page += summary.pages ?? 1;
    }
    return ended({ kind: 'more-pages' });
  }

  /** The wait between cycles: the interval may change while it runs, and poll-now, pause or stop cut it short. */
  async waitForNextPoll(wait: TimerWait = waitHandlingWork): Promise<void> {
    const intervalMs = this.state.pollIntervalSeconds * 1000;
    this.timer = new UpdatableTimer(patched(POLLS_ON_A_GRID) ? untilNextGridPoint(this.input.sourceId, intervalMs, this.cycleStartedAt) : intervalMs);
    await wait(this.timer, {
      cutShort: () => this.state.pollNowRequested || this.state.paused || this.stopRequested,
      beforeEachTimer: () => this.setPhase('waiting'),
      summary: (remainingMs) => `next poll in ${Math.round(remainingMs / 1000)} s`,
      handedWork: this.handedWork,
    });
  }

  markStopping(): void {
    this.phase = 'stopping';
    this.publish();
  }

  /** Search attributes, memo and current details: what the Web UI shows of the source. */
  publish(): void {
    const { input, state } = this;
    const changesOnly = patched(PUBLISH_ONLY_CHANGES);
    const attributes: SearchAttributeUpdatePair[] = [
      { key: OrganizationId, value: input.organizationId },
      { key: SourceName, value: input.sourceName },
      // Waiting and polling alternate every cycle: the attribute says polling for both, so an idle poll writes nothing.
      { key: SourceStatus, value: changesOnly && this.phase === 'waiting' ? 'polling' : this.phase },
      { key: EventsIngested, value: state.eventsIngested },
      { key: AlertOpen, value: state.alerting?.alertOpen ?? false },
    ];
    if (state.lastEventTime) attributes.push({ key: LastEventTime, value: new Date(state.lastEventTime) });
    const memo = { pollIntervalSeconds: state.pollIntervalSeconds, paused: state.paused };
    if (changesOnly) {
      this.publisher.attributes(attributes);
      this.publisher.memo(memo);
    } else {
      upsertSearchAttributes(attributes);
      upsertMemo(memo);
    }
    this.showDetails();
  }

  private change(patch: Partial<CarriedState>): void {
    Object.assign(this.state, patch);
    if (this.earlyChanges) Object.assign(this.earlyChanges, patch);
  }

  /** Stored first, shown second: whoever sees the phase in a query can rely on the source row saying the same. */
  private async setPhase(next: SourcePhase): Promise<void> {
    const status = next === 'paused' ? 'paused' : next === 'failed' ? 'failed' : 'active';
    if (status !== this.recordedStatus) {
      const reason = status === 'failed' ? (this.state.failureReason ?? null) : (this.state.pauseReason ?? null);
      await recordSourceStatus({ sourceId: this.input.sourceId, status, reason });
      this.recordedStatus = status;
    }
    this.phase = next;
    this.publish();
  }

  private pageSummary(page: number): string {
    return this.state.backfillCompleted ? `poll page ${page}` : `backfill page ${this.state.pagesFetched + 1} (${this.state.backfillPercent}%)`;
  }

  private recordPage(summary: PageSummary): void {
    Object.assign(this.state, {
      eventsIngested: summary.eventsIngested,
      pagesFetched: summary.pagesFetched,
      lastEventTime: summary.newestEventTime,
      backfillCompleted: summary.backfillCompleted,
      backfillPercent: summary.backfillPercent,
      lastPoll: { at: new Date().toISOString(), outcome: 'ok', fetched: summary.fetched, inserted: summary.inserted },
    });
    this.showDetails();
  }

  private pageFailed(err: unknown): CycleEnd {
    // A local activity's failure may arrive unwrapped, a regular activity's inside an ActivityFailure.
    const failure = err instanceof ActivityFailure ? err.cause : err;
    const message = failure instanceof Error ? failure.message : String(err);
    if (failure instanceof ApplicationFailure && failure.type === SOURCE_REMOVED) return { kind: 'removed' };
    // Not an error: the worker was stopping, and the page runs on another one (histories before this never hold it).
    if (failure instanceof ApplicationFailure && failure.type === PAGE_HANDED_BACK) return { kind: 'handed-back' };
    this.state.lastPoll = { at: new Date().toISOString(), outcome: 'error', fetched: 0, inserted: 0, message };
    if (failure instanceof ApplicationFailure && failure.type && CONFIGURATION_FAILURES.has(failure.type)) {
      this.state.failureReason = message;
      return { kind: 'rejected', reason: message, failureType: failure.type };
    }
    this.state.errors++;
    return { kind: 'error' };
  }

  statusView(): SourceStatusView {
    const { input, state, phase } = this;
    return {
      sourceName: input.sourceName,
      organizationId: input.organizationId,
      phase,
      paused: state.paused,
      pauseReason: state.pauseReason,
      failureReason: state.failureReason,
      pollIntervalSeconds: state.pollIntervalSeconds,
      nextPollAt: phase === 'waiting' && this.timer ? new Date(this.timer.deadline).toISOString() : undefined,
      lastPoll: state.lastPoll,
      lastEventTime: state.lastEventTime,
      eventsIngested: state.eventsIngested,
      pagesFetched: state.pagesFetched,
      errors: state.errors,
      backfill: { completed: state.backfillCompleted, percent: state.backfillPercent },
    };
  }

  private showDetails(): void {
    const { input, state } = this;
    const lines = [`**${input.sourceName}**: ${this.describePhase()}`, `${state.eventsIngested} events ingested in ${state.pagesFetched} pages, ${state.errors} errors`];
    if (state.lastEventTime) lines.push(`newest event: ${state.lastEventTime}`);
    if (state.lastPoll) lines.push(`last poll: ${state.lastPoll.at} (${state.lastPoll.outcome}${state.lastPoll.message ? `: ${state.lastPoll.message}` : ''})`);
    setCurrentDetails(lines.join('\n\n'));
  }

  private describePhase(): string {
    const { state } = this;
    switch (this.phase) {
      case 'backfilling':
        return `backfilling, ${state.backfillPercent}% of the window`;
      case 'waiting':
        return `waiting, next poll at ${this.timer ? new Date(this.timer.deadline).toISOString() : 'soon'} (every ${state.pollIntervalSeconds} s)`;
      case 'paused':
        return `paused${state.pauseReason ? ` (${state.pauseReason})` : ''}`;
      case 'failed':
        return `stopped: ${state.failureReason}. Rotate the key or resume the source to try again`;
      default:
        return this.phase;
    }
  }
}

/**
 * How long until this source's next poll. Each source polls on a grid of its own: every interval, at an offset within
 * it that derives from the source's id. The period is then exactly the interval (a cycle's own duration does not add
 * to it), and thousands of sources started together spread over the interval instead of polling in the same second.
 */
function untilNextGridPoint(sourceId: string, intervalMs: number, cycleStartedAt: number): number {
  const offset = hash32(sourceId) % intervalMs;
  const now = Date.now();
  // The first grid point after the cycle began, or after now when the cycle outlasted it.
  const after = Math.max(cycleStartedAt, now - intervalMs + 1);
  const next = offset + Math.ceil((after - offset + 1) / intervalMs) * intervalMs;
  return Math.max(next - now, 0);
}

/** FNV-1a: a stable spread of ids over 32 bits, the same on every replay. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
