import { ActivityFailure, ApplicationFailure, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { AUTH_REJECTED, BAD_REQUEST, CONTENT_STALLED, ORG_NOT_FOUND, PAGE_HANDED_BACK, SOURCE_REMOVED } from '../contract/failure-types';
import type { CarriedState, PageSummary } from '../contract/source-workflow';
import type { SourceVisibility } from './source-visibility';

/**
 * Pages run as local activities (one page each, or a batch of pages under PAGES_IN_BATCHES): a page costs no round
 * trip through the Temporal server, which would otherwise cost as much as the page itself during a backfill. That is
 * safe because a page is idempotent: if the worker dies, the pages since its last workflow task are simply run again
 * from the checkpoint in PostgreSQL. Transient API trouble is retried a few times; then the cycle counts an error and
 * waits.
 */
const { ingestPage } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
});

/**
 * Failures that retrying cannot fix: the source stops until an operator rotates the key or resumes it. (A type added
 * here is replay-safe as long as no saved history holds it: no past run could have taken the other branch.)
 */
const CONFIGURATION_FAILURES: ReadonlySet<string> = new Set([AUTH_REJECTED, ORG_NOT_FOUND, BAD_REQUEST, CONTENT_STALLED]);

/** A cycle ends after this many pages even when more wait, so state is published and history checked regularly. */
export const MAX_PAGES_PER_CYCLE = 50;
/**
 * How many pages one local activity ingests under PAGES_IN_BATCHES: the workflow's round trip is paid once for them.
 * A cycle's worth, so that a backfill at full speed runs one activity a cycle; the activity's time budget
 * (activities/page-batch.ts) splits a cycle whose pages the organization's pace spaces out.
 */
export const PAGES_PER_ACTIVITY = MAX_PAGES_PER_CYCLE;

type CycleEnd = { kind: 'caught-up' | 'more-pages' | 'handed-back' | 'error' | 'removed' } | { kind: 'rejected'; reason: string; failureType: string };
/**
 * How a cycle of pages ended, and how many new events its pages inserted. `stored` is how much the checkpoint's count
 * grew meanwhile: it also counts events that a page of a lost workflow task stored (that task's result never came,
 * and its page run again inserts nothing).
 */
export type CycleOutcome = CycleEnd & { inserted: number; stored: number };

/** What a failed page means for the source. */
export type PageFailure = { kind: 'removed' } | { kind: 'handed-back' } | { kind: 'rejected'; message: string; failureType: string } | { kind: 'error'; message: string };

/**
 * Pages until caught up, for at most MAX_PAGES_PER_CYCLE pages, keeping `state` and what the source shows current.
 * `pagesPerActivity` above 1 asks for pages in batches; runs begun before PAGES_IN_BATCHES ask for one at a time, as
 * they did.
 */
export async function ingestPages(sourceId: string, state: CarriedState, visibility: SourceVisibility, pagesPerActivity: number): Promise<CycleOutcome> {
  let inserted = 0;
  const countedBefore = state.eventsIngested;
  const ended = (end: CycleEnd): CycleOutcome => ({ ...end, inserted, stored: state.eventsIngested - countedBefore });
  for (let page = 1; page <= MAX_PAGES_PER_CYCLE; ) {
    visibility.phase = state.backfillCompleted ? 'polling' : 'backfilling';
    let summary: PageSummary;
    try {
      const input = pagesPerActivity > 1 ? { sourceId, maxPages: Math.min(pagesPerActivity, MAX_PAGES_PER_CYCLE - page + 1) } : { sourceId };
      summary = await ingestPage.executeWithOptions({ summary: pageSummary(state, page) }, [input]);
    } catch (err) {
      return ended(recordFailure(state, classifyPageFailure(err)));
    }
    inserted += summary.inserted;
    recordPage(state, summary);
    visibility.showDetails();
    if (!summary.hasMore) return ended({ kind: 'caught-up' });
    page += summary.pages ?? 1;
  }
  return ended({ kind: 'more-pages' });
}

/** Whether a failed page stops the source, counts an error, or is no failure of the source at all. */
export function classifyPageFailure(err: unknown): PageFailure {
  // A local activity's failure may arrive unwrapped, a regular activity's inside an ActivityFailure.
  const failure = err instanceof ActivityFailure ? err.cause : err;
  const message = failure instanceof Error ? failure.message : String(err);
  if (failure instanceof ApplicationFailure && failure.type === SOURCE_REMOVED) return { kind: 'removed' };
  // Not an error: the worker was stopping, and the page runs on another one.
  if (failure instanceof ApplicationFailure && failure.type === PAGE_HANDED_BACK) return { kind: 'handed-back' };
  if (failure instanceof ApplicationFailure && failure.type && CONFIGURATION_FAILURES.has(failure.type)) {
    return { kind: 'rejected', message, failureType: failure.type };
  }
  return { kind: 'error', message };
}

function recordFailure(state: CarriedState, failure: PageFailure): CycleEnd {
  if (failure.kind === 'removed' || failure.kind === 'handed-back') return { kind: failure.kind };
  state.lastPoll = { at: new Date().toISOString(), outcome: 'error', fetched: 0, inserted: 0, message: failure.message };
  if (failure.kind === 'rejected') {
    state.failureReason = failure.message;
    return { kind: 'rejected', reason: failure.message, failureType: failure.failureType };
  }
  state.errors++;
  return { kind: 'error' };
}

function pageSummary(state: CarriedState, page: number): string {
  return state.backfillCompleted ? `poll page ${page}` : `backfill page ${state.pagesFetched + 1} (${state.backfillPercent}%)`;
}

function recordPage(state: CarriedState, summary: PageSummary): void {
  Object.assign(state, {
    eventsIngested: summary.eventsIngested,
    pagesFetched: summary.pagesFetched,
    lastEventTime: summary.newestEventTime,
    backfillCompleted: summary.backfillCompleted,
    backfillPercent: summary.backfillPercent,
    lastPoll: { at: new Date().toISOString(), outcome: 'ok', fetched: summary.fetched, inserted: summary.inserted },
  });
}
