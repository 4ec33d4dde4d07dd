import type { PoolClient } from 'pg';
import type { SourceRecord } from './sources';
import type { EventRow } from '../atlassian/normalize';

/**
 * Inserts a page of events in one statement (one array parameter per column, unnest()ed server side, and the raw
 * events zipped in by position) and returns
 * the ids that were new: a re-fetched or retried page inserts nothing twice.
 *
 * Each row gets its source's next insertion number (seq), the order outputs forward in, from the counter on the
 * source's checkpoint row, bumped in the same statement. That UPDATE locks the row until the caller commits, so every
 * writer of a source waits for the one before it to commit: seq order is commit order, and a forwarder that read up to
 * some seq never sees a smaller one appear later. Every insert into events must come through here for that to hold.
 * A conflicting row uses up its number: gaps are fine, order is what matters.
 */
export async function insertEvents(client: PoolClient, sourceId: string, sourceLabel: string, rows: EventRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const column = <K extends keyof EventRow>(key: K) => rows.map((row) => row[key]);
  const arrayLiterals = (key: 'anyIpAddresses' | 'anyEmails' | 'anyUsernames') => rows.map((row) => toArrayLiteral(row[key]));
  const { rows: inserted } = await client.query<{ event_id: string }>(
    `WITH counter AS (
       UPDATE checkpoints SET events_sequenced = events_sequenced + $17 WHERE source_id = $1
       RETURNING events_sequenced - $17 AS base
     )
     INSERT INTO events (source_id, p_source_label, event_id, event_time, processed_at, action, actor_id, actor_name,
                         actor_email, ip, location, p_event_time, p_any_ip_addresses, p_any_emails, p_any_usernames, raw, original, seq)
     SELECT $1, $2, e.event_id, e.event_time, e.processed_at, e.action, e.actor_id, e.actor_name, e.actor_email, e.ip,
            e.location, e.event_time,
            e.ips::text[], e.emails::text[], e.usernames::text[],
            r.raw, e.original, counter.base + e.n
     FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[],
                 $10::text[], $11::jsonb[], $12::text[], $13::text[], $14::text[], $16::text[]) WITH ORDINALITY
          AS e(event_id, event_time, processed_at, action, actor_id, actor_name, actor_email, ip, location, ips, emails,
               usernames, original, n)
     JOIN jsonb_array_elements($15::jsonb) WITH ORDINALITY AS r(raw, n) USING (n)
     -- A source without a checkpoint row (none is created without one) would store its events unnumbered, not lose them.
     LEFT JOIN counter ON true
     ON CONFLICT (source_id, event_id) DO NOTHING
     RETURNING event_id`,
    [
      sourceId,
      sourceLabel,
      column('eventId'),
      column('eventTime'),
      column('processedAt'),
      column('action'),
      column('actorId'),
      column('actorName'),
      column('actorEmail'),
      column('ip'),
      column('location'),
      arrayLiterals('anyIpAddresses'),
      arrayLiterals('anyEmails'),
      arrayLiterals('anyUsernames'),
      // The raw events travel as one JSON array: as a text[] parameter, node-postgres would escape every character
      // of every event in JavaScript, the largest single cost of a page on the worker.
      `[${column('raw').join(',')}]`,
      rows.map((row) => row.original ?? null),
      rows.length,
    ],
  );
  return inserted.map((row) => row.event_id);
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
export async function insertEventsOneByOne(client: PoolClient, sourceId: string, sourceLabel: string, rows: EventRow[]): Promise<{ insertedIds: string[]; refused: RefusedEvent[] }> {
  const insertedIds: string[] = [];
  const refused: RefusedEvent[] = [];
  for (const row of rows) {
    await client.query('SAVEPOINT one_event');
    try {
      insertedIds.push(...(await insertEvents(client, sourceId, sourceLabel, [row])));
      await client.query('RELEASE SAVEPOINT one_event');
    } catch (err) {
      if (!isContentRefusal(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT one_event');
      refused.push({ row, sqlState: err.code, message: err.message });
    }
  }
  return { insertedIds, refused };
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
 * unnest() flattens a two-dimensional array, so each row's list travels as one PostgreSQL array literal that the
 * query casts back to text[]: far cheaper for the server than expanding a jsonb array per row.
 */
function toArrayLiteral(values: string[]): string {
  return `{${values.map((value) => `"${value.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
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
