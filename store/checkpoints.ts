import type { Database } from './database';
import { toSource, type SourceRecord } from './sources';

export interface Checkpoint {
  cursor: string | null;
  backfillFrom: Date;
  backfillCompletedAt: Date | null;
  newestProcessedAt: Date | null;
  newestEventTime: Date | null;
  lastEventPersistedAt: Date | null;
  lastPolledAt: Date | null;
  eventsIngested: number;
  pagesFetched: number;
}

const COLUMNS = `cursor, backfill_from, backfill_completed_at, newest_processed_at, newest_event_time,
  last_event_persisted_at, last_polled_at, events_ingested::float8 AS events_ingested, pages_fetched::float8 AS pages_fetched`;

function toCheckpoint(row: Record<string, unknown>): Checkpoint {
  return {
    cursor: row.cursor as string | null,
    backfillFrom: row.backfill_from as Date,
    backfillCompletedAt: row.backfill_completed_at as Date | null,
    newestProcessedAt: row.newest_processed_at as Date | null,
    newestEventTime: row.newest_event_time as Date | null,
    lastEventPersistedAt: row.last_event_persisted_at as Date | null,
    lastPolledAt: row.last_polled_at as Date | null,
    eventsIngested: row.events_ingested as number,
    pagesFetched: row.pages_fetched as number,
  };
}

export async function loadCheckpoint(db: Database, sourceId: string): Promise<Checkpoint> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM checkpoints WHERE source_id = $1`, [sourceId]);
  if (rows.length === 0) throw new Error(`source ${sourceId} has no checkpoint`);
  return toCheckpoint(rows[0]);
}

/**
 * A source and its checkpoint in one round trip, as a page reads both before anything else; undefined when there is
 * no such source, and no checkpoint when the source has none.
 */
export async function loadSourceWithCheckpoint(db: Database, sourceId: string): Promise<{ source: SourceRecord; checkpoint?: Checkpoint } | undefined> {
  const { rows } = await db.query(
    `SELECT s.*, c.* FROM sources s LEFT JOIN LATERAL (SELECT ${COLUMNS}, true AS has_checkpoint FROM checkpoints WHERE source_id = s.id) c ON true
      WHERE s.id = $1`,
    [sourceId],
  );
  if (rows.length === 0) return undefined;
  return { source: toSource(rows[0]), ...(rows[0].has_checkpoint ? { checkpoint: toCheckpoint(rows[0]) } : {}) };
}

export interface PageAdvance {
  /** The checkpoint as read before the page was fetched; the update applies only if nobody advanced it since. */
  expectedPagesFetched: number;
  /** Null keeps the stored cursor (the API's last page may carry none); a cursor reset passes resetCursor. */
  nextCursor: string | null;
  resetCursor: boolean;
  newestProcessedAt: string | null;
  newestEventTime: string | null;
  inserted: number;
  caughtUp: boolean;
}

/**
 * Advances the checkpoint inside the page's transaction (or, given the Database, in a transaction of its own: a page
 * with nothing else to commit). Returns the new checkpoint, or undefined when another attempt of the same activity
 * advanced it first: the caller must then roll back, so the page counts once. `alsoReturn` is an SQL expression of
 * the source (`$1`, its id) read in the same statement and returned with it: a value the page needs costs it no round
 * trip of its own.
 */
export async function advanceCheckpoint(
  client: Pick<Database, 'query'>,
  sourceId: string,
  advance: PageAdvance,
  alsoReturn = 'NULL',
): Promise<{ checkpoint: Checkpoint; returned: unknown } | undefined> {
  const { rows } = await client.query(
    `UPDATE checkpoints SET
       cursor = CASE WHEN $3::text IS NOT NULL THEN $3 WHEN $4 THEN NULL ELSE cursor END,
       newest_processed_at = GREATEST(newest_processed_at, $5::timestamptz),
       newest_event_time = GREATEST(newest_event_time, $6::timestamptz),
       last_event_persisted_at = CASE WHEN $7 > 0 THEN now() ELSE last_event_persisted_at END,
       events_ingested = events_ingested + $7,
       pages_fetched = pages_fetched + 1,
       backfill_completed_at = COALESCE(backfill_completed_at, CASE WHEN $8 THEN now() END),
       last_polled_at = now(),
       content_failures = 0,
       updated_at = now()
     WHERE source_id = $1 AND pages_fetched = $2
     RETURNING ${COLUMNS}, ${alsoReturn} AS also_returned`,
    [sourceId, advance.expectedPagesFetched, advance.nextCursor, advance.resetCursor, advance.newestProcessedAt, advance.newestEventTime, advance.inserted, advance.caughtUp],
  );
  return rows.length ? { checkpoint: toCheckpoint(rows[0]), returned: rows[0].also_returned } : undefined;
}

/**
 * Counts one more answer in a row for this page that could not be read as a whole, and returns how many there have
 * been since a page last committed (0 when another attempt committed the page meanwhile: the count began anew).
 */
export async function recordContentFailure(db: Database, sourceId: string, expectedPagesFetched: number): Promise<number> {
  const { rows } = await db.query<{ content_failures: number }>(
    'UPDATE checkpoints SET content_failures = content_failures + 1 WHERE source_id = $1 AND pages_fetched = $2 RETURNING content_failures',
    [sourceId, expectedPagesFetched],
  );
  return rows[0]?.content_failures ?? 0;
}

export interface SourceFreshness {
  source: string;
  /** Seconds since the newest stored event's processedAt; null before the first event. */
  newestEventAgeSeconds: number | null;
  /** Seconds since the last page was read and committed (a poll that found nothing counts); null before the first. */
  lastPollAgeSeconds: number | null;
}

/** How far behind each source is, by PostgreSQL's clock, for metrics read at scrape time. Removed sources are left out. */
export async function sourceFreshness(db: Pick<Database, 'query'>): Promise<SourceFreshness[]> {
  const { rows } = await db.query<{ name: string; newest_event_age: number | null; last_poll_age: number | null }>(
    `SELECT s.name,
            extract(epoch FROM now() - c.newest_processed_at)::float8 AS newest_event_age,
            extract(epoch FROM now() - c.last_polled_at)::float8 AS last_poll_age
       FROM checkpoints c JOIN sources s ON s.id = c.source_id
      WHERE s.status <> 'removed'`,
  );
  return rows.map((row) => ({ source: row.name, newestEventAgeSeconds: row.newest_event_age, lastPollAgeSeconds: row.last_poll_age }));
}
