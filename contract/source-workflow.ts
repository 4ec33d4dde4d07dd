/** Everything here crosses the workflow boundary, so it lands in history: counts, times and cursors only. */

export interface PageSummary {
  fetched: number;
  inserted: number;
  hasMore: boolean;
  /** ISO time of the newest event persisted so far for the source, if any. */
  newestEventTime: string | null;
  eventsIngested: number;
  pagesFetched: number;
  backfillCompleted: boolean;
  /** 0–100 while the first pass over the backfill window runs. */
  backfillPercent: number;
  /** Events of the page newly held in the quarantine; absent from summaries recorded before it existed. */
  quarantined?: number;
  /** How many pages the summary covers (a batch, see PAGES_IN_BATCHES); absent for one page. */
  pages?: number;
}

export type SourcePhase = 'starting' | 'backfilling' | 'polling' | 'waiting' | 'paused' | 'failed' | 'stopping';

export interface PollResult {
  at: string;
  outcome: 'ok' | 'error';
  fetched: number;
  inserted: number;
  message?: string;
}

/** The alerting part of the source workflow's carried state. */
export interface SourceAlertingState {
  silenceEnabled: boolean;
  silenceWindowSeconds: number;
  /** Any alert of the source is open: shown as the AlertOpen search attribute. */
  alertOpen: boolean;
  /** A credentials alert may be open (after a rejection, or not known on a fresh start): resolve it once polling works. */
  credentialsAlertMaybeOpen: boolean;
}

/** The state a source workflow carries across continue-as-new. */
export interface CarriedState {
  paused: boolean;
  pauseReason?: string;
  pollIntervalSeconds: number;
  pollNowRequested: boolean;
  /** A key rotation or resume arrived: a source stopped by a rejected key tries again. */
  retryRequested: boolean;
  failureReason?: string;
  eventsIngested: number;
  pagesFetched: number;
  errors: number;
  lastPoll?: PollResult;
  lastEventTime: string | null;
  backfillCompleted: boolean;
  backfillPercent: number;
  /** Absent until a fresh start has read the alarm settings from PostgreSQL. */
  alerting?: SourceAlertingState;
  /** The status last stored in the source's PostgreSQL row by the workflow; absent until it stored one. */
  recordedStatus?: RecordedSourceStatus;
}

/** What the workflow stores as its source row's status. */
export type RecordedSourceStatus = 'active' | 'paused' | 'failed';

export interface SourceWorkflowInput {
  sourceId: string;
  sourceName: string;
  organizationId: string;
  /** Absent on a fresh start: the workflow then reads settings and counters from PostgreSQL. */
  carried?: CarriedState;
  /** Continue-as-new after this many cycles at the latest (default MAX_CYCLES_PER_RUN). */
  maxCyclesPerRun?: number;
  /** Passed to the silence watchdog: continue-as-new after this many wake-ups (tests lower it). */
  watchdogMaxWakeupsPerRun?: number;
}

export interface SourceStatusView {
  sourceName: string;
  organizationId: string;
  phase: SourcePhase;
  paused: boolean;
  pauseReason?: string;
  failureReason?: string;
  pollIntervalSeconds: number;
  nextPollAt?: string;
  lastPoll?: PollResult;
  lastEventTime: string | null;
  eventsIngested: number;
  pagesFetched: number;
  errors: number;
  backfill: { completed: boolean; percent: number };
}
