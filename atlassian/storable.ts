import type { RejectedEvent } from './client';
import { toEventRow, type EventRow } from './normalize';
import { auditEventSchema, parseRfc3339, type AuditEvent } from './schema';
import { storableText } from './storable-text';

// Whatever an event holds, a page must commit: each event becomes a row PostgreSQL takes, or a quarantine entry that
// keeps its exact text and says why. Nothing here throws for content.

/** Longer ids are no Atlassian ids, and the primary key's btree entry is limited to about 2.7 KB. */
export const MAX_EVENT_ID_LENGTH = 256;
/** The action column is btree-indexed: 512 UTF-16 units are at most 1,536 bytes of UTF-8. The raw event keeps all. */
export const MAX_ACTION_LENGTH = 512;
/** Atlassian's organization audit log starts long after this; earlier times are broken producers (or year 0000). */
export const EARLIEST_PLAUSIBLE_TIME_MS = Date.UTC(2000, 0, 1);
/** An event may not happen more than this far in our future, clocks being what they are. */
export const EVENT_TIME_FUTURE_SKEW_MS = 24 * 3600_000;
/** A processedAt beyond now plus this is stored as sent but never becomes the restart point (see newestRestartPoint). */
export const PROCESSED_AT_FUTURE_SKEW_MS = 5 * 60_000;

/** Why an event was held back: a bounded set, so that it can label a metric. */
export const QUARANTINE_REASONS = ['schema', 'id_too_long', 'implausible_time', 'duplicate_id', 'database', 'expired'] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

export interface QuarantineEntry {
  /** The event's id when it has a usable one (cut to MAX_EVENT_ID_LENGTH). */
  eventId: string | null;
  reason: QuarantineReason;
  /** One line for the operator: which field, which value, or PostgreSQL's own words. */
  detail: string;
  /** The event exactly as received, as JSON text. */
  raw: string;
}

export interface StorablePage {
  rows: EventRow[];
  quarantined: QuarantineEntry[];
}

// How JSON.stringify writes the characters storableText replaces: a cheap test on the event's text spares the walk
// for every other event.
const UNSTORABLE_ESCAPES = /\\u0000|\\ud[89a-f][0-9a-f]{2}/;

/**
 * The page's events as rows, in order, with each event PostgreSQL cannot take as sent made storable (its exact text
 * kept in `original`) or quarantined, and the events the client rejected quarantined too.
 */
export function toStorablePage(events: readonly AuditEvent[], rejected: readonly RejectedEvent[] = [], nowMs = Date.now()): StorablePage {
  const quarantined: QuarantineEntry[] = rejected.map((r) => ({ eventId: boundedId(r.eventId), reason: 'schema', detail: r.reason, raw: storableText(r.raw) }));
  const rows: EventRow[] = [];
  // An event repeated byte for byte is stored once; another event under an id already in the page is held.
  const rawById = new Map<string, string>();
  for (const event of events) {
    const outcome = toStorableRow(event, nowMs);
    if ('reason' in outcome) {
      quarantined.push(outcome);
      continue;
    }
    const seen = rawById.get(outcome.eventId);
    if (seen === undefined) {
      rawById.set(outcome.eventId, outcome.original ?? outcome.raw);
      rows.push(outcome);
    } else if (seen !== (outcome.original ?? outcome.raw)) {
      quarantined.push({ eventId: outcome.eventId, reason: 'duplicate_id', detail: 'a different event with the same id came earlier in the page', raw: outcome.original ?? outcome.raw });
    }
  }
  return { rows, quarantined };
}

/** One event as a storable row, or the quarantine entry that says why it cannot be one. */
export function toStorableRow(event: AuditEvent, nowMs = Date.now()): EventRow | QuarantineEntry {
  let row = toEventRow(event);
  const { raw } = row;
  const held = (reason: QuarantineReason, detail: string): QuarantineEntry => ({ eventId: boundedId(event.id), reason, detail, raw });
  if (event.id.length > MAX_EVENT_ID_LENGTH) return held('id_too_long', `the event id is ${event.id.length} characters long, more than ${MAX_EVENT_ID_LENGTH}`);
  const { time, processedAt } = event.attributes;
  if (!isPlausible(time, nowMs + EVENT_TIME_FUTURE_SKEW_MS)) return held('implausible_time', `attributes.time ${quote(time)} is before 2000 or more than a day ahead`);
  // A far-future processedAt is stored as sent: kept out of the checkpoint (canBeRestartPoint), it harms nothing.
  if (processedAt && !isPlausible(processedAt, Infinity)) return held('implausible_time', `attributes.processedAt ${quote(processedAt)} is before 2000`);

  if (raw.includes('\\u') && UNSTORABLE_ESCAPES.test(raw)) {
    row = toEventRow(sanitize(event) as AuditEvent);
    if (row.raw !== raw) row.original = raw;
  }
  if (row.action.length > MAX_ACTION_LENGTH) row.action = storableText(row.action.slice(0, MAX_ACTION_LENGTH));
  row.eventTime = timePostgresTakes(row.eventTime);
  if (row.processedAt) row.processedAt = timePostgresTakes(row.processedAt);
  return row;
}

// RFC 3339 allows UTC offsets up to 23:59, PostgreSQL up to 15:59: it refused such an event, and its page was then
// stored one event at a time. The same instant in UTC is stored instead; `raw` keeps the time as sent.
const OFFSET_POSTGRES_REFUSES = /[+-](1[6-9]|2\d):\d{2}$/;

function timePostgresTakes(time: string): string {
  return OFFSET_POSTGRES_REFUSES.test(time) ? new Date(parseRfc3339(time)).toISOString() : time;
}

/**
 * Runs the current rules again on an event's held text (`quarantine reingest`): the row to store, or why it is held
 * still. The text was either an event that parsed (an id, a time...) or one the client rejected.
 */
export function reconsiderHeldEvent(raw: string, nowMs = Date.now()): EventRow | QuarantineEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { eventId: null, reason: 'schema', detail: 'the held text is not JSON', raw };
  }
  const result = auditEventSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const id = (parsed as { id?: unknown } | null)?.id;
    return { eventId: typeof id === 'string' ? boundedId(id) : null, reason: 'schema', detail: `${issue.path.map(String).join('.') || '$'}: ${issue.message}`, raw };
  }
  return toStorableRow(result.data, nowMs);
}

/** Whether a processedAt may become the checkpoint's restart point: not beyond now plus a small skew. */
export function canBeRestartPoint(processedAt: string, nowMs = Date.now()): boolean {
  return parseRfc3339(processedAt) <= nowMs + PROCESSED_AT_FUTURE_SKEW_MS;
}

function isPlausible(time: string, latestMs: number): boolean {
  const ms = parseRfc3339(time);
  return ms >= EARLIEST_PLAUSIBLE_TIME_MS && ms <= latestMs;
}

function sanitize(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(sanitize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [storableText(key), sanitize(inner)]));
  }
  return value;
}

function boundedId(id: string | null): string | null {
  return id === null ? null : storableText(id.slice(0, MAX_EVENT_ID_LENGTH));
}

function quote(text: string): string {
  return JSON.stringify(storableText(text.slice(0, 40)));
}
