import { apiKeyContext } from '../store/credentials';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { PAGE_HANDED_BACK, SOURCE_REMOVED } from '../contract/failure-types';
import type { PageSummary } from '../contract/source-workflow';
import { AtlassianClient, EventsPage, type EventsPageQuery } from '../atlassian/client';
import { InvalidCursorError } from '../atlassian/errors';
import { CONTENT_FAILURES_BEFORE_STALL, contentStalled, isContentFailure, toApplicationFailure } from '../atlassian/failures';
import { wakeAlertDispatcher } from '../alerts/wake';
import { parseRfc3339 } from '../atlassian/schema';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { toEventRow } from '../atlassian/normalize';
import { PageReadAhead } from './page-read-ahead';
import { pacedRequest } from './paced-requests';
import { ApiPacer, budgetOf } from '../store/api-pacing';
import { advanceCheckpoint, Checkpoint, loadCheckpoint, recordContentFailure } from '../store/checkpoints';
import { insertEvents, type InsertedEventsHook } from '../store/events';
import { findSourceById, SourceRecord } from '../store/sources';
import { noProductMetrics, type ProductMetrics } from '../observability/product-metrics';

/** The largest page Atlassian is reported to serve: fewer requests against a rate limit of about 50 a minute. */
export const PAGE_LIMIT = 500;
/** Restarting without a cursor re-reads this much before the newest processedAt; duplicates are dropped by id. */
export const RESTART_OVERLAP_MS = 5 * 60_000;

export interface IngestDependencies {
  db: Database;
  cipher: CredentialCipher;
  /** Work on each page's new rows that must happen exactly once, in the page's transaction (detections). */
  onEventsInserted?: InsertedEventsHook;
  /** Where pages, requests and waits are counted; nothing is recorded without it. */
  metrics?: ProductMetrics;
  /** Aborted when the worker begins to shut down. */
  workerStopping?: AbortSignal;
  /** The largest API response body read; the client's default when unset. */
  maxResponseBytes?: number;
}

export async function loadSourceOrFail(db: Database, sourceId: string): Promise<SourceRecord> {
  const source = await findSourceById(db, sourceId);
  if (!source || source.status === 'removed') {
    throw ApplicationFailure.create({ message: `source ${sourceId} no longer exists`, type: SOURCE_REMOVED, nonRetryable: true });
  }
  return source;
}

/**
 * Fetches the page after the checkpoint, inserts its events and advances the checkpoint in one transaction, and
 * returns only counts and times: event bodies never reach workflow history.
 */
export function createIngestPage(deps: IngestDependencies) {
  const readAhead = new PageReadAhead();
  const pacer = new ApiPacer(deps.db);
  const metrics = deps.metrics ?? noProductMetrics;
  return async function ingestPage({ sourceId }: { sourceId: string }): Promise<PageSummary> {
    const { cancellationSignal, info } = Context.current();
    // Pages run back to back in one workflow task, so a stopping worker would start page after page and never drain.
    // The page it has not begun is handed back instead: the workflow waits a moment on a timer, which ends the task,
    // and the next page runs on another worker.
    if (deps.workerStopping?.aborted) {
      throw ApplicationFailure.create({ message: 'the worker is shutting down; the page is left to another worker', type: PAGE_HANDED_BACK, nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
    }
    const source = await loadSourceOrFail(deps.db, sourceId);
    const checkpoint = await loadCheckpoint(deps.db, sourceId);
    const sourceMetrics = metrics.forSource(source.name);
    // Decrypted per call, not cached: a rotated key is used by the very next page.
    const client = new AtlassianClient({ baseUrl: source.apiBaseUrl, apiKey: deps.cipher.open(source.apiKeyCiphertext, apiKeyContext(source.id)), maxResponseBytes: deps.maxResponseBytes });

    // Every request waits for its slot in the organization's pace, the read-ahead's too.
    const fetchPage = (query: EventsPageQuery, signal?: AbortSignal) =>
      pacedRequest(pacer, budgetOf(source), info.attempt, () => client.fetchEventsPage(source.organizationId, { ...query, limit: PAGE_LIMIT }, signal), sourceMetrics);
    let page: EventsPage;
    let cursorReset = false;
    try {
      try {
        page = (await readAhead.take(sourceId, checkpoint.cursor)) ?? (await fetchPage(startingPoint(checkpoint), cancellationSignal));
      } catch (err) {
        if (!(err instanceof InvalidCursorError)) throw err;
        cursorReset = true;
        page = await fetchPage({ from: restartFrom(checkpoint) }, cancellationSignal);
      }
    } catch (err) {
      if (isContentFailure(err)) {
        const inARow = await recordContentFailure(deps.db, sourceId, checkpoint.pagesFetched);
        if (inARow > 0 && inARow % CONTENT_FAILURES_BEFORE_STALL === 0) throw contentStalled(err, inARow);
      }
      throw toApplicationFailure(err, info.attempt);
    }

    const { nextCursor } = page;
    if (page.hasMore && nextCursor) readAhead.start(sourceId, nextCursor, () => fetchPage({ cursor: nextCursor }));
    const rows = page.events.map(toEventRow);
    const storeStartedAt = performance.now();
    const saved = await deps.db.withTransaction(async (tx) => {
      const insertedIds = new Set(await insertEvents(tx, source.id, source.name, rows));
      const advanced = await advanceCheckpoint(tx, source.id, {
        expectedPagesFetched: checkpoint.pagesFetched,
        nextCursor: page.nextCursor,
        resetCursor: cursorReset,
        newestProcessedAt: newest(rows.map((r) => r.processedAt)),
        newestEventTime: newest(rows.map((r) => r.eventTime)),
        inserted: insertedIds.size,
        caughtUp: !page.hasMore,
      }, deps.onEventsInserted?.contextSql);
      if (!advanced) {
        // Another attempt of this activity committed the same page first. Roll back and let the retry read anew.
        throw ApplicationFailure.create({ message: 'the checkpoint moved during this attempt', type: 'CheckpointMoved' });
      }
      const hook =
        insertedIds.size > 0 && deps.onEventsInserted
          ? await deps.onEventsInserted.run(tx, source, rows.filter((row) => insertedIds.has(row.eventId)), advanced.returned)
          : { alertsOpened: 0 };
      return { inserted: insertedIds.size, checkpoint: advanced.checkpoint, alertsOpened: hook.alertsOpened, rulesFired: hook.rulesFired ?? [] };
    });
    sourceMetrics.pageStored({ fetched: rows.length, inserted: saved.inserted, rulesFired: saved.rulesFired, seconds: (performance.now() - storeStartedAt) / 1000 });
    // Their notices go out, and the source's AlertOpen follows, now rather than at the dispatcher's next sweep.
    if (saved.alertsOpened > 0) await wakeAlertDispatcher();

    return {
      fetched: rows.length,
      inserted: saved.inserted,
      hasMore: page.hasMore,
      newestEventTime: saved.checkpoint.newestEventTime?.toISOString() ?? null,
      eventsIngested: saved.checkpoint.eventsIngested,
      pagesFetched: saved.checkpoint.pagesFetched,
      backfillCompleted: saved.checkpoint.backfillCompletedAt !== null,
      backfillPercent: backfillPercent(saved.checkpoint),
    };
  };
}

function startingPoint(checkpoint: Checkpoint): { cursor: string } | { from: number } {
  return checkpoint.cursor ? { cursor: checkpoint.cursor } : { from: restartFrom(checkpoint) };
}

function restartFrom(checkpoint: Checkpoint): number {
  return checkpoint.newestProcessedAt ? checkpoint.newestProcessedAt.getTime() - RESTART_OVERLAP_MS : checkpoint.backfillFrom.getTime();
}

function newest(times: (string | null)[]): string | null {
  let best: string | null = null;
  let bestMs = -Infinity;
  for (const time of times) {
    if (time === null) continue;
    const ms = parseRfc3339(time);
    if (ms > bestMs) {
      best = time;
      bestMs = ms;
    }
  }
  return best;
}

function backfillPercent(checkpoint: Checkpoint): number {
  if (checkpoint.backfillCompletedAt) return 100;
  if (!checkpoint.newestProcessedAt) return 0;
  const start = checkpoint.backfillFrom.getTime();
  const span = Date.now() - start;
  return span <= 0 ? 0 : Math.min(99, Math.max(0, Math.floor(((checkpoint.newestProcessedAt.getTime() - start) / span) * 100)));
}
