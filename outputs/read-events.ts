import type { Database } from '../store/database';
import { nextEventsAfterSeq, type ClaimedRange } from '../store/output-positions';
import { parsedOnUse, type StoredEvent } from './stored-event';

type Queryable = Pick<Database, 'query'>;

/** Which of a source's events a read takes: a claimed range, the next `limit` after a seq, or the given seqs. */
export type EventSpan = ClaimedRange | { afterSeq: number; limit: number } | { seqs: number[] };

/** A stored event with the size the batch limits count: the bytes of its raw body as text (UTF-8). */
export interface SizedEvent {
  event: StoredEvent;
  bytes: number;
}

/** A time as whole milliseconds since the epoch (floored, as a Date would hold it): far cheaper to read than its text. */
export const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::bigint`;

/** The WHERE and ORDER (and, for a limit, LIMIT) of a span's read of `events e`, with $1 the source id and its own parameters after it. */
export function spanClause(sourceId: string, span: EventSpan): { clause: string; params: unknown[] } {
  if ('seqs' in span) return { clause: 'WHERE e.source_id = $1 AND e.seq = ANY($2::bigint[]) ORDER BY e.seq', params: [sourceId, span.seqs] };
  if ('limit' in span) return { clause: `WHERE ${nextEventsAfterSeq('e')}`, params: [sourceId, span.afterSeq, span.limit] };
  return { clause: 'WHERE e.source_id = $1 AND e.seq > $2 AND e.seq <= $3 ORDER BY e.seq', params: [sourceId, span.afterSeq, span.throughSeq] };
}

/** A time read as epochMs, as the ISO 8601 text a StoredEvent holds. */
function isoTime(epochMs: string): string {
  return new Date(Number(epochMs)).toISOString();
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/**
 * isoTime for the many times of one read, at a fraction of the cost of a Date each: the rows of an ingested page share
 * their parse time, so the last text is kept, and the events of a batch fall on few days, so the last day's part is
 * kept and only the time of day is written. The text is toISOString's: a day outside years 0-9999, which it writes with
 * a sign, is left to it whole.
 */
export function isoTimeWriter(): (epochMs: string) => string {
  let lastEpochMs: string | undefined;
  let lastText = '';
  let dayNumber = Number.NaN;
  let dayPrefix: string | undefined;
  return (epochMs) => {
    if (epochMs === lastEpochMs) return lastText;
    const ms = Number(epochMs);
    const day = Math.floor(ms / DAY_MS);
    if (day !== dayNumber) {
      dayNumber = day;
      const midnight = new Date(day * DAY_MS).toISOString();
      dayPrefix = midnight.length === 24 ? midnight.slice(0, 11) : undefined;
    }
    lastEpochMs = epochMs;
    lastText = dayPrefix === undefined || !Number.isInteger(ms) ? isoTime(epochMs) : dayPrefix + clockOf(ms - day * DAY_MS);
    return lastText;
  };
}

/** HH:MM:SS.mmmZ of a whole number of milliseconds into a day. */
function clockOf(msOfDay: number): string {
  const seconds = Math.floor(msOfDay / 1000);
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  return `${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes % 60]}:${TWO_DIGITS[seconds % 60]}.${THREE_DIGITS[msOfDay % 1000]}Z`;
}

// The raw body comes as text: its length is then the batch limits' measure for free, where PostgreSQL would turn each
// jsonb into text a second time to measure it, and the raw format sends the text itself, never parsed. The
// organization is the source's, looked up once rather than joined to every row.
const SELECT_EVENTS = `SELECT e.source_id, e.p_source_label, (SELECT organization_id FROM sources WHERE id = $1) AS organization_id, e.seq, e.event_id,
            ${epochMs('e.event_time')} AS event_ms, ${epochMs('e.processed_at')} AS processed_ms, e.action, e.actor_id, e.actor_name,
            e.actor_email, e.ip, e.location, ${epochMs('e.p_parse_time')} AS parse_ms, e.p_any_ip_addresses, e.p_any_emails, e.p_any_usernames,
            e.raw::text AS raw_text
       FROM events e`;

/** The span's events, in seq order, as the formats read them, each with its size. */
export async function readEvents(db: Queryable, sourceId: string, span: EventSpan): Promise<SizedEvent[]> {
  const { clause, params } = spanClause(sourceId, span);
  const { rows } = await db.query(`${SELECT_EVENTS} ${clause}`, params);
  const times = { event: isoTimeWriter(), processed: isoTimeWriter(), parse: isoTimeWriter() };
  return rows.map((row) => ({ event: toStoredEvent(row, times), bytes: Buffer.byteLength(row.raw_text as string) }));
}

/** One isoTimeWriter per time column: each keeps its own last day. */
type TimeWriters = Record<'event' | 'processed' | 'parse', (epochMs: string) => string>;

function toStoredEvent(row: Record<string, unknown>, times: TimeWriters): StoredEvent {
  return parsedOnUse({
    sourceId: row.source_id as string,
    sourceName: row.p_source_label as string,
    organizationId: row.organization_id as string,
    seq: Number(row.seq),
    eventId: row.event_id as string,
    eventTime: times.event(row.event_ms as string),
    processedAt: row.processed_ms === null ? null : times.processed(row.processed_ms as string),
    action: row.action as string,
    actorId: row.actor_id as string,
    actorName: row.actor_name as string | null,
    actorEmail: row.actor_email as string | null,
    ip: row.ip as string | null,
    location: row.location as Record<string, unknown> | null,
    parsedAt: times.parse(row.parse_ms as string),
    anyIpAddresses: row.p_any_ip_addresses as string[],
    anyEmails: row.p_any_emails as string[],
    anyUsernames: row.p_any_usernames as string[],
    rawText: row.raw_text as string,
  });
}
