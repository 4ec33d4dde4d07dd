import type { BatchEvent, OutgoingBatch } from './sink';

/** One object of a batch: the records of the batch's events that happened on one UTC day. */
export interface DayObject {
  key: string;
  /** JSON text, one record a line. */
  records: string[];
}

/**
 * Seq numbers padded to this width sort as numbers do in a listing; 16 digits hold every integer a JavaScript number
 * carries exactly.
 */
const SEQ_WIDTH = 16;

/**
 * Splits a batch by the UTC day of its events' times (late events put one batch over several days) and names each
 * part `<prefix>/org=<id>/year=YYYY/month=MM/day=DD/<source id>-<first seq>-<last seq>.json.gz`, Hive-style so that
 * Athena, Spark or Snowflake prune by day. The name depends only on the batch's range, which is claimed before the
 * first attempt: a retry writes the very same keys, replacing rather than adding.
 */
export function dayObjects(batch: OutgoingBatch, prefix: string): DayObject[] {
  const byDay = new Map<string, string[]>();
  const dayOf = dayPaths();
  batch.events.forEach((event, i) => {
    const day = dayOf(event);
    const records = byDay.get(day);
    if (records) records.push(batch.records[i]);
    else byDay.set(day, [batch.records[i]]);
  });
  const name = `${batch.source.id}-${pad(batch.firstSeq)}-${pad(batch.lastSeq)}.json.gz`;
  const org = `org=${keySafe(batch.source.organizationId)}`;
  return [...byDay].map(([day, records]) => ({ key: [prefix, org, day, name].filter(Boolean).join('/'), records }));
}

/** A time as toISOString writes years 0 to 9999, the form the store's reads give: its first ten characters name its day. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** dayOf, parsing one time per UTC day rather than one per event. */
function dayPaths(): (event: BatchEvent) => string {
  const byDate = new Map<string, string>();
  return (event) => {
    const time = event.eventTime;
    if (!ISO_TIME.test(time)) return dayOf(event);
    const date = time.slice(0, 10);
    const known = byDate.get(date);
    if (known !== undefined) return known;
    const day = dayOf(event);
    // A date that is no day (a 13th month) falls back to the event's own parse time, which is not the same for all.
    if (!Number.isNaN(Date.parse(time))) byDate.set(date, day);
    return day;
  };
}

/** The day's path part; an event time that is not a time (hostile content is stored too) falls back to when it was stored. */
function dayOf(event: BatchEvent): string {
  let time = new Date(event.eventTime);
  if (Number.isNaN(time.getTime())) time = new Date(event.parsedAt);
  const year = String(time.getUTCFullYear()).padStart(4, '0');
  const month = String(time.getUTCMonth() + 1).padStart(2, '0');
  const day = String(time.getUTCDate()).padStart(2, '0');
  return `year=${year}/month=${month}/day=${day}`;
}

function pad(seq: number): string {
  return String(seq).padStart(SEQ_WIDTH, '0');
}

/** A path segment that cannot add a level or a Hive partition of its own. */
function keySafe(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
