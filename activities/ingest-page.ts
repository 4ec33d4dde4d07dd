import { apiKeyContext } from '../store/credentials';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { BAD_REQUEST, PAGE_HANDED_BACK, SOURCE_REMOVED } from '../contract/failure-types';
import { apiBaseUrlProblem } from '../config/api-base-urls';
import type { PageSummary } from '../contract/source-workflow';
import { AtlassianClient, EventsPage, type EventsPageQuery } from '../atlassian/client';
import { InvalidCursorError } from '../atlassian/errors';
import { CONTENT_FAILURES_BEFORE_STALL, contentStalled, isContentFailure, toApplicationFailure } from '../atlassian/failures';
import { wakeAlertDispatcher } from '../alerts/wake';
import { parseRfc3339 } from '../atlassian/schema';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { canBeRestartPoint, toStorablePage, type QuarantineEntry, type StorablePage } from '../atlassian/storable';
import { quarantineEvents } from '../store/quarantine';
import { QuarantineReport } from './quarantine-report';
import { PageReadAhead } from './page-read-ahead';
import { KnownMonths } from './known-months';
import { pacedRequest } from './paced-requests';
import { ApiPacer, budgetOf } from '../store/api-pacing';
import { advanceCheckpoint, Checkpoint, loadSourceWithCheckpoint, recordContentFailure, type PageAdvance } from '../store/checkpoints';
import { eventColumns, insertEvents, insertEventsOneByOne, isContentRefusal, type EventColumns, type InsertedEventsHook, type RefusedEvent } from '../store/events';
import { findSourceById, SourceRecord } from '../store/sources';
import { analyzeEventMonthsWithoutStatistics, createEventMonthsFor, isMissingEventMonth } from '../store/event-partitions';
import type { EventRow } from '../atlassian/normalize';
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
  /** Tells the outputs that take the source that new events were committed (activities/wake-outputs.ts). */
  wakeOutputs?: (sourceId: string, inserted: number) => Promise<void>;
}

/** A fetched page with its events made storable (or held) and their columns made, ready for its transaction. */
interface ReadyPage {
  page: EventsPage;
  storable: StorablePage;
  columns: EventColumns;
}

export async function loadSourceOrFail(db: Database, sourceId: string): Promise<SourceRecord> {
  return sourceOrFail(sourceId, { source: await findSourceById(db, sourceId) }).source;
}

/** What was read of a source, unless it is gone: a removed source fails the workflow for good. */
function sourceOrFail<T extends { source?: SourceRecord }>(sourceId: string, read: T | undefined): T & { source: SourceRecord } {
  if (!read?.source || read.source.status === 'removed') {
    throw ApplicationFailure.create({ message: `source ${sourceId} no longer exists`, type: SOURCE_REMOVED, nonRetryable: true });
  }
  return read as T & { source: SourceRecord };
}

/**
 * Fetches the page after the checkpoint, inserts its events and advances the checkpoint in one transaction, and
 * returns only counts and times: event bodies never reach workflow history.
 */
export function createIngestPage(deps: IngestDependencies) {
  const readAhead = new PageReadAhead<ReadyPage>();
  const pacer = new ApiPacer(deps.db);
  const metrics = deps.metrics ?? noProductMetrics;
  const quarantineReport = new QuarantineReport();
  const monthsWithStatistics = new KnownMonths();
  return async function ingestPage({ sourceId }: { sourceId: string }): Promise<PageSummary> {
    const { cancellationSignal, info } = Context.current();
    // Pages run back to back in one workflow task, so a stopping worker would start page after page and never drain.
    // The page it has not begun is handed back instead: the workflow waits a moment on a timer, which ends the task,
    // and the next page runs on another worker.
    if (deps.workerStopping?.aborted) {
      throw ApplicationFailure.create({ message: 'the worker is shutting down; the page is left to another worker', type: PAGE_HANDED_BACK, nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
    }
    const { source, checkpoint } = sourceOrFail(sourceId, await loadSourceWithCheckpoint(deps.db, sourceId));
    // A row changed behind the CLI's back must not carry the key elsewhere; the workflow stops on it as on a bad request.
    const refused = apiBaseUrlProblem(source.apiBaseUrl);
    if (refused) throw ApplicationFailure.create({ message: `${refused}: the key is not sent`, type: BAD_REQUEST, nonRetryable: true });
    if (!checkpoint) throw new Error(`source ${sourceId} has no checkpoint`);
    const sourceMetrics = metrics.forSource(source.name);
    // Decrypted per call, not cached: a rotated key is used by the very next page.
    const client = new AtlassianClient({ baseUrl: source.apiBaseUrl, apiKey: deps.cipher.open(source.apiKeyCiphertext, apiKeyContext(source.id)), maxResponseBytes: deps.maxResponseBytes });

    // Every request waits for its slot in the organization's pace, the read-ahead's too.
    const fetchPage = async (query: EventsPageQuery, signal?: AbortSignal): Promise<ReadyPage> => {
      const page = await pacedRequest(pacer, budgetOf(source), info.attempt, () => client.fetchEventsPage(source.organizationId, { ...query, limit: PAGE_LIMIT }, signal), sourceMetrics);
      const storable = toStorablePage(page.events, page.rejected);
      return { page, storable, columns: eventColumns(storable.rows) };
    };
    let ready: ReadyPage;
    let cursorReset = false;
    try {
      try {
        ready = (await readAhead.take(sourceId, checkpoint.cursor)) ?? (await fetchPage(startingPoint(checkpoint), cancellationSignal));
      } catch (err) {
        if (!(err instanceof InvalidCursorError)) throw err;
        cursorReset = true;
        ready = await fetchPage({ from: restartFrom(checkpoint) }, cancellationSignal);
      }
    } catch (err) {
      if (isContentFailure(err)) {
        const inARow = await recordContentFailure(deps.db, sourceId, checkpoint.pagesFetched);
        if (inARow > 0 && inARow % CONTENT_FAILURES_BEFORE_STALL === 0) throw contentStalled(err, inARow);
      }
      throw toApplicationFailure(err, info.attempt);
    }

    const { page, storable } = ready;
    const { nextCursor } = page;
    // A page that hands back its own cursor would be asked for again at once, for ever: it counts as caught up, so the
    // workflow asks again at its next poll, and the operator is told.
    const hasMore = page.hasMore && !page.cursorRepeated;
    if (hasMore && nextCursor) readAhead.start(sourceId, nextCursor, () => fetchPage({ cursor: nextCursor }));
    let rows = storable.rows;
    let columns = ready.columns;
    const quarantined = [...storable.quarantined];
    const fetched = page.events.length + (page.rejected?.length ?? 0);
    const storeStartedAt = performance.now();
    const advanceOf = (stored: EventRow[], inserted: number): PageAdvance => ({
      expectedPagesFetched: checkpoint.pagesFetched,
      nextCursor: page.nextCursor,
      resetCursor: cursorReset,
      // A processedAt in the future is stored as sent, but restarting from it would skip everything until then.
      newestProcessedAt: newest(stored.map((r) => r.processedAt).filter((t) => t !== null && canBeRestartPoint(t))),
      newestEventTime: newest(stored.map((r) => r.eventTime)),
      inserted,
      // A repeated cursor is no end of the backfill, whichever way the client reports it: only the workflow waits.
      caughtUp: !page.hasMore && !page.cursorRepeated,
    });
    const storePage = (eventByEvent: boolean) =>
      deps.db.withTransaction(async (tx) => {
        const { insertedIds, sameIdOtherTime, refused } = eventByEvent
          ? await insertEventsOneByOne(tx, source.id, source.name, rows)
          : { ...(await insertEvents(tx, source.id, source.name, rows, columns)), refused: [] };
        const inserted = new Set(insertedIds);
        const notStored = new Set([...refused.map(({ row }) => row), ...sameIdOtherTime]);
        const stored = notStored.size > 0 ? rows.filter((row) => !notStored.has(row)) : rows;
        const held = await quarantineEvents(tx, source.id, [...quarantined, ...refused.map(refusedToQuarantine), ...sameIdOtherTime.map(storedWithOtherTime)]);
        const advanced = await advanceCheckpoint(tx, source.id, advanceOf(stored, inserted.size), deps.onEventsInserted?.contextSql);
        if (!advanced) throw checkpointMoved();
        const hook =
          inserted.size > 0 && deps.onEventsInserted
            ? await deps.onEventsInserted.run(tx, source, stored.filter((row) => inserted.has(row.eventId)), advanced.returned)
            : { alertsOpened: 0 };
        const alertsChanged = (await quarantineReport.tell(tx, source, held.length, page.cursorRepeated === true)) + hook.alertsOpened;
        const insertedMonths = stored.filter((row) => inserted.has(row.eventId)).map((row) => monthOf(row.eventTime));
        return { inserted: inserted.size, insertedMonths, held, checkpoint: advanced.checkpoint, alertsChanged, rulesFired: hook.rulesFired ?? [] };
      });
    // An idle poll's page has nothing to store, hold or tell: all its transaction would hold is the checkpoint's
    // advance (its last-polled time among it), a statement that is a transaction of its own. Run alone, it spares the
    // page a client of its own and the round trips of BEGIN and COMMIT.
    const advanceOnly = async () => {
      const advanced = await advanceCheckpoint(deps.db, source.id, advanceOf([], 0));
      if (!advanced) throw checkpointMoved();
      return { inserted: 0, insertedMonths: [], held: [], checkpoint: advanced.checkpoint, alertsChanged: 0, rulesFired: [] };
    };
    const storeOrHoldRefused = async () => {
      try {
        return await storePage(false);
      } catch (err) {
        // Content PostgreSQL refuses that no rule above foresaw: the page is stored event by event, and what is
        // refused is held with PostgreSQL's reason, rather than failing the page again on every retry.
        if (!isContentRefusal(err)) throw err;
        return storePage(true);
      }
    };
    let saved: Awaited<ReturnType<typeof storePage>>;
    try {
      const nothingToStore = rows.length === 0 && quarantined.length === 0 && !quarantineReport.hasNews(source.id, page.cursorRepeated === true);
      saved = nothingToStore ? await advanceOnly() : await storeOrHoldRefused();
    } catch (err) {
      // A late or backfilled event whose month has no partition yet (maintenance skipped a month): the month is made
      // now and the page stored once more. A month already past the source's retention is never made: its events
      // are held as expired instead.
      if (!isMissingEventMonth(err)) throw err;
      const expired = new Set(await createEventMonthsFor(deps.db, source.id, rows.map((row) => monthOf(row.eventTime)), new Date()));
      quarantined.push(...rows.filter((row) => expired.has(monthOf(row.eventTime))).map(expiredToQuarantine));
      rows = rows.filter((row) => !expired.has(monthOf(row.eventTime)));
      columns = eventColumns(rows);
      saved = await storeOrHoldRefused();
    }
    quarantineReport.committed(source.id, page.cursorRepeated === true);
    // After the commit, so that no page waits on it: the next page's look-up of its ids needs the months' statistics.
    // A month checked once has them for good, so a backfill asks once per month, not once per page.
    const monthsToCheck = monthsWithStatistics.unknown(source.id, saved.insertedMonths);
    if (monthsToCheck.length > 0) {
      await analyzeEventMonthsWithoutStatistics(deps.db, source.id, monthsToCheck).then(
        () => monthsWithStatistics.add(source.id, monthsToCheck),
        (err: Error) => log.warn(`the statistics of the months the page filled were not gathered: ${err.message}`),
      );
    }
    sourceMetrics.pageStored({
      fetched,
      inserted: saved.inserted,
      rulesFired: saved.rulesFired,
      quarantined: saved.held.map((entry) => entry.reason),
      seconds: (performance.now() - storeStartedAt) / 1000,
    });
    // Their notices go out, and the source's AlertOpen follows, now rather than at the dispatcher's next sweep.
    if (saved.alertsChanged > 0) await wakeAlertDispatcher();
    // New events reach the outputs within seconds rather than at their next timer.
    if (saved.inserted > 0) await deps.wakeOutputs?.(source.id, saved.inserted);

    return {
      fetched,
      inserted: saved.inserted,
      hasMore,
      newestEventTime: saved.checkpoint.newestEventTime?.toISOString() ?? null,
      eventsIngested: saved.checkpoint.eventsIngested,
      pagesFetched: saved.checkpoint.pagesFetched,
      backfillCompleted: saved.checkpoint.backfillCompletedAt !== null,
      backfillPercent: backfillPercent(saved.checkpoint),
      ...(saved.held.length > 0 ? { quarantined: saved.held.length } : {}),
    };
  };
}

/** Another attempt of this activity committed the same page first: roll back and let the retry read anew. */
function checkpointMoved(): ApplicationFailure {
  return ApplicationFailure.create({ message: 'the checkpoint moved during this attempt', type: 'CheckpointMoved' });
}

function storedWithOtherTime(row: EventRow): QuarantineEntry {
  return { eventId: row.eventId, reason: 'duplicate_id', detail: 'an event with the same id and another time is stored already', raw: row.original ?? row.raw };
}

function expiredToQuarantine(row: EventRow): QuarantineEntry {
  return { eventId: row.eventId, reason: 'expired', detail: `its month ${monthOf(row.eventTime)} is past the source's retention`, raw: row.original ?? row.raw };
}

/** The UTC month ('YYYY-MM') of an event time the page's rules took as plausible. */
function monthOf(eventTime: string): string {
  return new Date(parseRfc3339(eventTime)).toISOString().slice(0, 7);
}

function refusedToQuarantine({ row, sqlState, message }: RefusedEvent): QuarantineEntry {
  return { eventId: row.eventId, reason: 'database', detail: `PostgreSQL refused it (SQLSTATE ${sqlState}): ${message}`, raw: row.original ?? row.raw };
}

function startingPoint(checkpoint: Checkpoint): { cursor: string } | { from: number } {
  return checkpoint.cursor ? { cursor: checkpoint.cursor } : { from: restartFrom(checkpoint) };
}

function restartFrom(checkpoint: Checkpoint): number {
  // Never from the future: a checkpoint written before future processedAt times were kept out of it may hold one.
  return checkpoint.newestProcessedAt ? Math.min(checkpoint.newestProcessedAt.getTime(), Date.now()) - RESTART_OVERLAP_MS : checkpoint.backfillFrom.getTime();
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
