import type { PoolClient } from 'pg';
import type { SourceRecord } from './sources';
import type { EventRow } from '../atlassian/normalize';

/** What became of a page's events: the ids stored now, and those whose id is stored already with another time. */
export interface InsertedEvents {
  insertedIds: string[];
  /** Rows of the page whose id is stored with a different event_time: another event, held as duplicate_id. */
  sameIdOtherTime: EventRow[];
}

/**
 * Inserts a page of events in one statement (one array parameter per column, unnest()ed server side, and the raw
 * events zipped in by position) and says which ids were new: a re-fetched or retried page inserts nothing twice.
 *
 * Exactly once: the key is (source_id, event_time, event_id), since a partitioned table's key must hold its partition
 * columns. An event re-fetched has the same time, so the same month and key, and ON CONFLICT drops it. Before
 * inserting, the page's ids are looked up among the source's stored events, in every month and, while the upgrade
 * moves it, in the previous release's table (stored_events, one snapshot over both): an id found is not inserted
 * again, and found with another time it is another event, which the caller holds as duplicate_id. Two attempts of
 * one page cannot both commit: the checkpoint guard (advanceCheckpoint) rolls back the later one.
 *
 * Each row gets its source's next insertion number (seq), the order outputs forward in, from the counter on the
 * source's checkpoint row, bumped in the same statement before any row is inserted. The row lock is held until commit,
 * so writers of one source commit one after the other and seq order is commit order, and a forwarder that read up to
 * some seq never sees a smaller one appear later. Every insert into events must come through here (or take the same
 * lock first, as the upgrade's move does). A row not inserted uses up its number: gaps are fine, order is what matters.
 */
export async function insertEvents(
  client: PoolClient,
  sourceId: string,
  sourceLabel: string,
  rows: EventRow[],
  columns: EventColumns = eventColumns(rows),
): Promise<InsertedEvents> {
  if (rows.length === 0) return { insertedIds: [], sameIdOtherTime: [] };
  if (columns.rows !== rows) throw new Error('the columns given to insertEvents were made from other rows');
  const { rows: outcome } = await client.query<{ n: string; stored: boolean }>(
    `WITH sequenced AS (
       -- Joined to every row of the page, so the source's checkpoint row is locked before any row is inserted: every
       -- writer of one source (a page, a reingest, the upgrade's move) takes its locks in this order.
       UPDATE checkpoints SET events_sequenced = events_sequenced + $17
        WHERE source_id = $1 RETURNING events_sequenced - $17 AS base
     ),
     page AS (
       SELECT e.*, r.raw::jsonb AS raw, s.base
         FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::text[], $11::jsonb[], $12::text[], $13::text[], $14::text[], $16::text[]) WITH ORDINALITY
                AS e(event_id, event_time, processed_at, action, actor_id, actor_name, actor_email, ip, location, ips,
                     emails, usernames, original, n)
         -- Split as json and each event made jsonb once: splitting a jsonb array copies every event out of it again.
         JOIN json_array_elements($15::json) WITH ORDINALITY AS r(raw, n) USING (n)
         -- A source without a checkpoint row (none is made without one) fails on the NOT NULL seq, never silently.
         LEFT JOIN sequenced s ON true
     ),
     seen AS (
       SELECT s.event_id, s.event_time FROM stored_events s WHERE s.source_id = $1 AND s.event_id = ANY($3::text[])
     ),
     inserted AS (
       INSERT INTO events (source_id, p_source_label, event_id, event_time, processed_at, action, actor_id, actor_name,
                           actor_email, ip, location, p_event_time, p_any_ip_addresses, p_any_emails, p_any_usernames, raw,
                           original, seq)
       SELECT $1, $2, p.event_id, p.event_time, p.processed_at, p.action, p.actor_id, p.actor_name, p.actor_email, p.ip,
              p.location, p.event_time, p.ips::text[], p.emails::text[], p.usernames::text[], p.raw, p.original, p.base + p.n
         FROM page p WHERE NOT EXISTS (SELECT 1 FROM seen WHERE seen.event_id = p.event_id)
       ON CONFLICT (source_id, event_time, event_id) DO NOTHING
       RETURNING event_id
     )
     SELECT p.n, true AS stored FROM page p JOIN inserted i USING (event_id)
     UNION ALL
     SELECT p.n, false FROM page p JOIN seen ON seen.event_id = p.event_id AND seen.event_time <> p.event_time`,
    [sourceId, sourceLabel, ...columns.values, rows.length],
  );
  const insertedIds: string[] = [];
  const sameIdOtherTime: EventRow[] = [];
  for (const { n, stored } of outcome) {
    const row = rows[Number(n) - 1];
    if (stored) insertedIds.push(row.eventId);
    else sameIdOtherTime.push(row);
  }
  return { insertedIds, sameIdOtherTime };
}

/** An event PostgreSQL refused on its own, by the SQLSTATE and message it gave. */
export interface RefusedEvent {
  row: EventRow;
  sqlState: string;
  message: string;
}

/**
 * The slow path of a page whose insert PostgreSQL refused for its content: each event under a savepoint of its own,
 * so the events it takes are stored and those it refuses are named. Only content refusals are caught; anything else
 * (a lost connection, a deadlock) fails the page as before, to be retried.
 */
export async function insertEventsOneByOne(client: PoolClient, sourceId: string, sourceLabel: string, rows: EventRow[]): Promise<InsertedEvents & { refused: RefusedEvent[] }> {
  const insertedIds: string[] = [];
  const sameIdOtherTime: EventRow[] = [];
  const refused: RefusedEvent[] = [];
  for (const row of rows) {
    await client.query('SAVEPOINT one_event');
    try {
      const one = await insertEvents(client, sourceId, sourceLabel, [row]);
      insertedIds.push(...one.insertedIds);
      sameIdOtherTime.push(...one.sameIdOtherTime);
      await client.query('RELEASE SAVEPOINT one_event');
    } catch (err) {
      if (!isContentRefusal(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT one_event');
      refused.push({ row, sqlState: err.code, message: err.message });
    }
  }
  return { insertedIds, sameIdOtherTime, refused };
}

/**
 * A data exception (SQLSTATE class 22: a character, a time, a number PostgreSQL cannot hold) or an index entry too
 * large (54000): the same content fails again on every retry, so it is a quarantine matter, never a transient one.
 */
export function isContentRefusal(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && (code.startsWith('22') || code === '54000');
}

/**
 * A page's rows as insertEvents' parameters $3 to $16, in their order. Made apart from the insert so that a page read
 * ahead has them made while the page before it is written, and its transaction waits on less.
 */
export interface EventColumns {
  /** The rows they were made from: insertEvents refuses columns of other rows. */
  readonly rows: readonly EventRow[];
  readonly values: readonly string[];
}

/**
 * Each column is one PostgreSQL array literal, built here in one pass rather than by node-postgres from an array.
 * unnest() flattens a two-dimensional array, so each row's list (addresses, e-mails, user names) is itself a literal
 * that the query casts back to text[]: far cheaper for the server than expanding a jsonb array per row.
 */
export function eventColumns(rows: readonly EventRow[]): EventColumns {
  const column = (value: (row: EventRow) => string | null) => toArrayLiteral(rows.map(value));
  return {
    rows,
    values: [
      column((row) => row.eventId),
      column((row) => row.eventTime),
      column((row) => row.processedAt),
      column((row) => row.action),
      column((row) => row.actorId),
      column((row) => row.actorName),
      column((row) => row.actorEmail),
      column((row) => row.ip),
      column((row) => row.location),
      column((row) => toArrayLiteral(row.anyIpAddresses)),
      column((row) => toArrayLiteral(row.anyEmails)),
      column((row) => toArrayLiteral(row.anyUsernames)),
      // The raw events travel as one JSON array: as a text[] parameter, every character of every event would be
      // escaped in JavaScript, the largest single cost of a page on the worker.
      `[${rows.map((row) => row.raw).join(',')}]`,
      column((row) => row.original ?? null),
    ],
  };
}

function toArrayLiteral(values: readonly (string | null)[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : `"${value.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

export interface InsertedEventsHook {
  /**
   * An SQL expression of the source (`$1`, its id) that the page's checkpoint update returns: read in a statement the
   * page runs anyway, so it costs the page no round trip (for detections, the enabled packs).
   */
  contextSql: string;
  /**
   * Called inside the page's transaction with the rows that were new, and the value of contextSql. Says how many
   * alerts it opened, so that the page wakes the alert dispatcher once they are committed, and the rule of each
   * detection it raised, which the page counts in its metrics.
   */
  run(tx: PoolClient, source: SourceRecord, inserted: EventRow[], context: unknown): Promise<{ alertsOpened: number; rulesFired?: readonly string[] }>;
}
