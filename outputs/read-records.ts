import type { Database } from '../store/database';
import { formatEvent } from './formats';
import { rawRecord, spliceable, splicedRawRecord } from './formats/raw';
import { epochMs, isoTimeWriter, readEvents, spanClause, type EventSpan } from './read-events';
import type { BatchEvent, OutputFormat } from './sink';
import type { StoredEvent } from './stored-event';

type Queryable = Pick<Database, 'query'>;

/** An event of a batch as its output sends it: its record in the output's format, and the size the batch limits count. */
export interface SizedRecord {
  event: BatchEvent;
  record: string;
  /** The bytes of the event's raw body as text (UTF-8), whatever the format. */
  bytes: number;
}

/** The span's events as records of the output's format, in seq order. */
export async function readRecords(db: Queryable, sourceId: string, format: OutputFormat, span: EventSpan): Promise<SizedRecord[]> {
  if (format === 'raw') return readRawRecords(db, sourceId, span);
  return (await readEvents(db, sourceId, span)).map(({ event, bytes }) => ({ event, record: formatEvent(format, event), bytes }));
}

// A raw record is the stored text with the product's fields spliced in. Read as a StoredEvent, each row costs the
// worker's one thread the parsing of three text arrays, a jsonb and seven more columns, and the serialization of the
// fields: time taken from ingestion, which runs on that thread. Here PostgreSQL writes the fields after the times as
// JSON text instead (to_json and array_to_json escape as JSON.stringify does: both write the escapes JSON requires and
// \u00XX for other control characters, in lower case), in productFields' order, and the row carries nothing else the
// raw format needs. A text that is not spliceable (it names a p_ field) is read whole, as rawRecord takes it.
const SELECT_RAW = `SELECT e.seq, e.event_id, ${epochMs('e.event_time')} AS event_ms, ${epochMs('e.p_parse_time')} AS parse_ms, e.raw::text AS raw_text,
            ',"p_source_id":' || to_json(e.source_id) || ',"p_source_label":' || to_json(e.p_source_label)
            || ',"p_organization_id":' || COALESCE(to_json((SELECT organization_id FROM sources WHERE id = $1))::text, 'null') || ',"p_seq":' || e.seq
            || ',"p_any_ip_addresses":' || array_to_json(e.p_any_ip_addresses) || ',"p_any_emails":' || array_to_json(e.p_any_emails)
            || ',"p_any_usernames":' || array_to_json(e.p_any_usernames) AS later_fields
       FROM events e`;

async function readRawRecords(db: Queryable, sourceId: string, span: EventSpan): Promise<SizedRecord[]> {
  const { clause, params } = spanClause(sourceId, span);
  const { rows } = await db.query<{ seq: string; event_id: string; event_ms: string; parse_ms: string; raw_text: string; later_fields: string }>(`${SELECT_RAW} ${clause}`, params);
  const eventTimes = isoTimeWriter();
  const parseTimes = isoTimeWriter();
  const read = rows.map((row) => {
    const event = { seq: Number(row.seq), eventId: row.event_id, eventTime: eventTimes(row.event_ms), parsedAt: parseTimes(row.parse_ms) };
    const record = spliceable(row.raw_text) ? splicedRawRecord(row.raw_text, event.eventTime, event.parsedAt, row.later_fields) : undefined;
    return { event, record, bytes: Buffer.byteLength(row.raw_text) };
  });
  const unspliceable = read.filter((r) => r.record === undefined).map((r) => r.event.seq);
  const whole = unspliceable.length === 0 ? new Map<number, StoredEvent>() : new Map((await readEvents(db, sourceId, { seqs: unspliceable })).map(({ event }) => [event.seq, event]));
  // An event gone between the two reads (erased, or dropped by retention) is left out, as a later read would not find it.
  return read.flatMap(({ event, record, bytes }) => {
    if (record !== undefined) return [{ event, record, bytes }];
    const stored = whole.get(event.seq);
    return stored ? [{ event, record: rawRecord(stored), bytes }] : [];
  });
}
