import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CarriedState, SourceWorkflowInput } from '../contract/source-workflow';
import { HandedWork } from './handed-work';
import { untilNextGridPoint } from './poll-grid';
import { BACKFILL_CYCLES_WITHOUT_TIMER } from './patches';
import { type CycleOutcome, ingestPages } from './source-pages';
import { SourceVisibility } from './source-visibility';
import { momentOrHandedWork, UpdatableTimer, waitHandlingWork } from './updatable-timer';

/** Bookkeeping against our own PostgreSQL: retried until it works, since nothing else can proceed without it. */
const { loadSourceState, saveSourceSettings, betweenCycles } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Placeholder values a fresh start shows until it has read the source's stored state. */
const NOT_YET_LOADED: Readonly<CarriedState> = {
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

/**
 * A source's state, what its messages do to it, and the waits between its cycles, in the manner of the
 * safe-message-handlers sample's ClusterManager: the workflow function registers the handlers and sequences the loop,
 * this class does the work. Pages run in source-pages.ts; what the source shows, in SourceVisibility.
 */
export class SourceController {
  readonly state: CarriedState;
  stopRequested = false;
  /** What message handlers hand over, for the loop to run where no page is in flight. */
  readonly handedWork = new HandedWork();
  readonly visibility: SourceVisibility;
  /** When the latest cycle began: its poll's grid point, from which the next one is counted. */
  private cycleStartedAt = Date.now();
  /** The latest wait between cycles: an interval change moves its deadline, and the status shows it. */
  private timer: UpdatableTimer | undefined;
  /** Whether the latest cycle was a backfilling one of BACKFILL_CYCLES_WITHOUT_TIMER. */
  private backfillWithoutTimer = false;

  /** `startsQuietly`: a continued run under CONTINUED_RUNS_START_QUIETLY. */
  constructor(
    private readonly input: SourceWorkflowInput,
    private readonly pagesPerActivity: number,
    startsQuietly: boolean,
  ) {
    this.state = input.carried ?? { ...NOT_YET_LOADED };
    this.visibility = new SourceVisibility(input, this.state, () => this.timer?.deadline, startsQuietly);
  }

  pause(reason?: string): void {
    Object.assign(this.state, { paused: true, pauseReason: reason });
  }

  resume(): void {
    Object.assign(this.state, { paused: false, pauseReason: undefined, retryRequested: true });
  }

  pollNow(): void {
    this.state.pollNowRequested = true;
  }

  /** A source stopped by a rejected key tries again; a running one simply reads the new key on its next page. */
  keyRotated(): void {
    this.state.retryRequested = true;
  }

  /** Graceful stop before removal: the page in flight is finished first. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Validated by the caller, then stored, then applied: PostgreSQL never lags what the workflow runs with. */
  async changeInterval(seconds: number): Promise<{ previousSeconds: number; seconds: number }> {
    await saveSourceSettings({ sourceId: this.input.sourceId, pollIntervalSeconds: seconds });
    const previousSeconds = this.state.pollIntervalSeconds;
    this.state.pollIntervalSeconds = seconds;
    if (this.timer) this.timer.deadline = this.timer.startedAt + seconds * 1000;
    return { previousSeconds, seconds };
  }

  /**
   * A fresh start reads its settings and counters from PostgreSQL; a continued run has them carried. Messages change
   * nothing before: their work waits for the loop, which begins after this.
   */
  async load(): Promise<void> {
    if (this.input.carried) return;
    Object.assign(this.state, await loadSourceState(this.input.sourceId));
  }

  /** Pages until caught up, for at most MAX_PAGES_PER_CYCLE pages. */
  async runCycle(): Promise<CycleOutcome> {
    // Cleared before the cycle, not after a failure: a key rotated while the failing page was in flight still counts.
    this.state.retryRequested = false;
    this.state.pollNowRequested = false;
    this.cycleStartedAt = Date.now();
    await this.visibility.setPhase(this.state.backfillCompleted ? 'polling' : 'backfilling');
    // Asked only when a backfilling cycle begins: a polling run writes no marker for it.
    this.backfillWithoutTimer = !this.state.backfillCompleted && patched(BACKFILL_CYCLES_WITHOUT_TIMER);
    return ingestPages(this.input.sourceId, this.state, this.visibility, this.pagesPerActivity);
  }

  async waitWhilePaused(): Promise<void> {
    await this.visibility.setPhase('paused');
    await this.handedWork.runUntil(() => !this.state.paused || this.stopRequested);
  }

  /** A source stopped by a rejected key waits for a key rotation or a resume. */
  async waitForRetry(): Promise<void> {
    await this.visibility.setPhase('failed');
    await this.handedWork.runUntil(() => this.state.retryRequested || this.stopRequested);
    if (this.state.retryRequested) this.state.failureReason = undefined;
  }

  /**
   * The wait that ends every cycle: for the next poll, for a new key, or a moment. Only after it does the loop look
   * at what handlers handed over (see HandedWork).
   */
  async waitAfterCycle(outcome: CycleOutcome): Promise<void> {
    if (outcome.kind === 'caught-up' || outcome.kind === 'error') await this.waitForNextPoll();
    // It issues no command before it runs what was handed over, so either way history holds the same ones.
    else if (outcome.kind === 'rejected') await this.waitForRetry();
    // Messages sent before an activity's result are delivered by the time it resolves, as they are by the moment's
    // timer, which the server fires up to a second late (see activities/between-cycles.ts).
    else if (outcome.kind === 'more-pages' && this.backfillWithoutTimer) await betweenCycles();
    // A handed-back page's timer also ends the workflow task, so the stopping worker drains.
    else await momentOrHandedWork(this.handedWork);
  }

  markStopping(): void {
    this.visibility.phase = 'stopping';
    this.visibility.publish();
  }

  /** The wait between cycles: the interval may change while it runs, and poll-now, pause or stop cut it short. */
  private async waitForNextPoll(): Promise<void> {
    const intervalMs = this.state.pollIntervalSeconds * 1000;
    this.timer = new UpdatableTimer(untilNextGridPoint(this.input.sourceId, intervalMs, this.cycleStartedAt, Date.now()));
    await waitHandlingWork(this.timer, {
      cutShort: () => this.state.pollNowRequested || this.state.paused || this.stopRequested,
      beforeEachTimer: () => this.visibility.setPhase('waiting'),
      summary: (remainingMs) => `next poll in ${Math.round(remainingMs / 1000)} s`,
      handedWork: this.handedWork,
    });
  }
}
