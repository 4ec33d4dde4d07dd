import type { Database } from '../database';
import { ERASED, PSEUDONYM_PREFIX } from './erasure-keys';
import { MAY_CONCERN_PERSON } from './find-person';
import { lockUnless, runPass, type Queryable } from './pass';
import { eraseStrings, redactEvent, redactText, type Redaction } from './redact';
import type { ErasureScope, Tally } from './tally';

/** Events per transaction: short enough that a page of ingestion waiting on one of its rows waits little. */
export const EVENT_BATCH = 500;

interface EventKey {
  source_id: string;
  event_id: string;
  /**
   * As PostgreSQL writes it: a Date holds milliseconds, and a time with microseconds (which an API may send) would no
   * longer find its row.
   */
  event_time: string;
}

interface EventRow extends EventKey {
  actor_id: string;
  actor_name: string | null;
  actor_email: string | null;
  ip: string | null;
  location: unknown;
  p_any_ip_addresses: string[];
  p_any_emails: string[];
  p_any_usernames: string[];
  raw: unknown;
  original: string | null;
}

/**
 * The tables that hold events. While the partitioned store is being filled from the previous release's table (see
 * migration 012), both do; the old one first, so that a row moved in the meantime is met again in the new one.
 */
export async function eventTables(db: Database): Promise<EventTable[]> {
  const { rows } = await db.query<{ old: string | null }>("SELECT to_regclass('events_unpartitioned') AS old");
  return rows[0].old === null ? ['events'] : ['events_unpartitioned', 'events'];
}

export type EventTable = 'events' | 'events_unpartitioned';

/**
 * Redacts the person's events, batch by batch, each in a transaction of its own. Keyed by source, event id and event
 * time, so each batch's reads and writes go straight to their partitions when events are partitioned. A redacted
 * event no longer matches the person, so a run that was interrupted is finished by running it again.
 */
export async function eraseEvents(db: Database, redaction: Redaction, scope: ErasureScope, tally: Tally, dryRun: boolean): Promise<void> {
  for (const table of await eventTables(db)) await eraseEventsOf(table, db, redaction, scope, tally, dryRun);
}

async function eraseEventsOf(table: EventTable, db: Database, redaction: Redaction, scope: ErasureScope, tally: Tally, dryRun: boolean): Promise<void> {
  const { person } = redaction;
  const { rows: keys } = await db.query<EventKey>(
    `SELECT e.source_id, e.event_id, e.event_time::text AS event_time FROM ${table} e
      WHERE ($1::uuid[] IS NULL OR e.source_id = ANY($1)) AND ${MAY_CONCERN_PERSON}`,
    [scope.sourceIds, [...person.accountIds], [...person.emails]],
  );
  for (let start = 0; start < keys.length; start += EVENT_BATCH) {
    const batch = keys.slice(start, start + EVENT_BATCH);
    await runPass(db, dryRun, async (q) => {
      const redacted = (await readEvents(q, table, batch, dryRun)).map((row) => redactEventRow(redaction, row)).filter((row) => row !== null);
      if (!dryRun && redacted.length > 0) await writeEvents(q, table, redacted);
      for (const row of redacted) tally.add('events', row.source_id, 1);
    });
  }
}

async function readEvents(q: Queryable, table: EventTable, keys: EventKey[], dryRun: boolean): Promise<EventRow[]> {
  const { rows } = await q.query<EventRow>(
    `SELECT e.source_id, e.event_id, e.event_time::text AS event_time, e.actor_id, e.actor_name, e.actor_email, e.ip, e.location,
            e.p_any_ip_addresses, e.p_any_emails, e.p_any_usernames, e.raw, e.original
       FROM ${table} e JOIN unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS k(source_id, event_id, event_time)
         ON e.source_id = k.source_id AND e.event_id = k.event_id AND e.event_time = k.event_time
     ${lockUnless(dryRun, 'FOR UPDATE OF e')}`,
    [keys.map((k) => k.source_id), keys.map((k) => k.event_id), keys.map((k) => k.event_time)],
  );
  return rows;
}

/** The row with the person taken out, or null when the person is not in it (a namesake's event) or is gone already. */
export function redactEventRow(redaction: Redaction, row: EventRow): EventRow | null {
  const { person, pseudonym } = redaction;
  const { event, acted, appears, ips } = redactEvent(redaction, row.raw);
  const actorIsPerson = acted || person.accountIds.has(row.actor_id) || (row.actor_email !== null && person.emails.has(row.actor_email.trim().toLowerCase()));
  if (!appears && !actorIsPerson) return null;
  const erased = (value: string | null) => (value === null ? null : ERASED);
  if (actorIsPerson && row.ip !== null) ips.push(row.ip);
  const redacted: EventRow = {
    ...row,
    raw: event,
    p_any_emails: row.p_any_emails.filter((email) => !person.emails.has(email.toLowerCase())),
    p_any_usernames: row.p_any_usernames.filter((name) => !person.names.has(name)),
    p_any_ip_addresses: row.p_any_ip_addresses.filter((ip) => !ips.includes(ip)),
    original: row.original === null ? null : redactOriginal(redaction, row.original),
    ...(actorIsPerson && {
      actor_id: row.actor_id.startsWith(PSEUDONYM_PREFIX) ? row.actor_id : pseudonym(row.actor_id),
      actor_name: erased(row.actor_name),
      actor_email: erased(row.actor_email),
      ip: erased(row.ip),
      location: row.location === null ? null : eraseStrings(row.location),
    }),
  };
  return JSON.stringify(redacted) === JSON.stringify(row) ? null : redacted;
}

/** The exact text of an event made storable: JSON, redacted as the event is; text-wise should it not parse. */
function redactOriginal(redaction: Redaction, original: string): string {
  try {
    return JSON.stringify(redactEvent(redaction, JSON.parse(original)).event);
  } catch {
    return redactText(redaction)(original);
  }
}

async function writeEvents(q: Queryable, table: EventTable, rows: EventRow[]): Promise<void> {
  // The key columns (event id, action, times) are matched on, never set: the trail keeps its shape.
  await q.query(
    `UPDATE ${table} e
        SET actor_id = u.actor_id, actor_name = u.actor_name, actor_email = u.actor_email, ip = u.ip, location = u.location,
            p_any_ip_addresses = u.p_any_ip_addresses, p_any_emails = u.p_any_emails, p_any_usernames = u.p_any_usernames,
            raw = u.raw, original = u.original
       FROM jsonb_to_recordset($1::jsonb) AS u(source_id uuid, event_id text, event_time timestamptz, actor_id text,
            actor_name text, actor_email text, ip text, location jsonb, p_any_ip_addresses text[], p_any_emails text[],
            p_any_usernames text[], raw jsonb, original text)
      WHERE e.source_id = u.source_id AND e.event_id = u.event_id AND e.event_time = u.event_time`,
    [JSON.stringify(rows)],
  );
}
