import type { Database } from './database';
import type { OutputBatching } from './outputs';

type Queryable = Pick<Database, 'query'>;

/** A range of a source's events, by seq: after `afterSeq`, up to and including `throughSeq`. */
export interface ClaimedRange {
  afterSeq: number;
  throughSeq: number;
}

/**
 * The condition, order and limit that take the first events of source $1 after seq $2, at most $3 of them, from
 * `events` under the given alias. They are looked for among the $3 * 2 seqs from the first event after $2: a range
 * bounded on both sides, so that no plan reads more than a batch.
 *
 * Seqs only grow, so an output's position lies past what the month's statistics knew when they were taken (autovacuum
 * takes new ones a minute or more after a backfill began). PostgreSQL then expects a handful of events after it, and,
 * where a source has a second month, reads and sorts all of them, the whole backlog, to keep the first few thousand.
 * The first event after the position is found by the (source_id, seq) index in any plan. Seqs left unused (events
 * erased, or found already stored) may make a batch smaller than $3; never empty while an event waits.
 */
export function nextEventsAfterSeq(alias: string): string {
  return `${alias}.source_id = $1 AND ${alias}.seq > $2
          AND ${alias}.seq < (SELECT min(head.seq) FROM events head WHERE head.source_id = $1 AND head.seq > $2) + $3 * 2
        ORDER BY ${alias}.seq LIMIT $3`;
}

/**
 * Whether a batch of the source's events after `afterSeq` is due: one is when it is full (maxEvents events, or
 * maxBytes by the stored size of the events) or its oldest event was stored maxAge ago, so a trickle of events makes
 * few, fuller batches. Reads no event body: a woken output asks this on every page a source stores.
 */
export async function pendingBatchState(db: Queryable, sourceId: string, afterSeq: number, batching: OutputBatching): Promise<{ due: true } | { waitMs: number } | { nothing: true }> {
  // pg_column_size is the stored size, known without turning the jsonb into text; the exact cut by the text's bytes
  // comes when the events are read, so here it only decides whether to cut now or wait.
  const { rows } = await db.query<{ pending: number; full: boolean; oldest_age: number | null }>(
    `WITH pending AS (
       SELECT e.p_parse_time, pg_column_size(e.raw) AS size FROM events e WHERE ${nextEventsAfterSeq('e')}
     )
     SELECT count(*)::int AS pending, (count(*) >= $3 OR sum(size) > $4) AS full,
            extract(epoch FROM now() - min(p_parse_time))::float8 AS oldest_age
       FROM pending`,
    [sourceId, afterSeq, batching.maxEvents, batching.maxBytes],
  );
  const found = rows[0];
  if (found.pending === 0) return { nothing: true };
  const youngFor = batching.maxAgeSeconds - (found.oldest_age ?? 0);
  if (!found.full && youngFor > 0) return { waitMs: Math.ceil(youngFor * 1000) };
  return { due: true };
}

/**
 * The highest seq the source's stored events have been given. An upper bound of what is there to read: events erased,
 * dropped by retention or found already stored leave their seqs unused.
 */
export async function lastSequencedSeq(db: Queryable, sourceId: string): Promise<number> {
  const { rows } = await db.query<{ seq: string }>('SELECT events_sequenced AS seq FROM checkpoints WHERE source_id = $1', [sourceId]);
  return Number(rows[0]?.seq ?? 0);
}

/**
 * Claims a range as the output's next batch in the source, written before anything is sent, so that a retry sends the
 * very same range. Applies only where the position is at the range's start with nothing claimed: false means another
 * attempt of the forwarder claimed or advanced meanwhile, and what it wrote is the range.
 */
export async function claimRange(db: Queryable, outputId: string, sourceId: string, range: ClaimedRange): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE output_positions SET claimed_through_seq = $4, claimed_at = now()
      WHERE output_id = $1 AND source_id = $2 AND delivered_seq = $3 AND claimed_through_seq IS NULL`,
    [outputId, sourceId, range.afterSeq, range.throughSeq],
  );
  return rowCount === 1;
}

export interface OutputPosition {
  deliveredSeq: number;
  claimedThroughSeq: number | null;
}

/** The output's position in the source, made (at seq 0) the first time it is asked for. */
export async function readPosition(db: Queryable, outputId: string, sourceId: string): Promise<OutputPosition> {
  const { rows } = await db.query<{ delivered_seq: string; claimed_through_seq: string | null }>(
    `WITH created AS (
       INSERT INTO output_positions (output_id, source_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING delivered_seq, claimed_through_seq
     )
     SELECT delivered_seq, claimed_through_seq FROM created
     UNION ALL
     SELECT delivered_seq, claimed_through_seq FROM output_positions WHERE output_id = $1 AND source_id = $2`,
    [outputId, sourceId],
  );
  return { deliveredSeq: Number(rows[0].delivered_seq), claimedThroughSeq: rows[0].claimed_through_seq === null ? null : Number(rows[0].claimed_through_seq) };
}

/**
 * The destination acknowledged the claimed range: the position moves to its end and the claim is released. Applies
 * only while that range is still the claim, so a late repeat of an attempt moves nothing twice. Returns whether it moved.
 */
export async function advancePosition(db: Queryable, outputId: string, sourceId: string, range: ClaimedRange, events: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE output_positions SET delivered_seq = claimed_through_seq, claimed_through_seq = NULL, claimed_at = NULL, delivered_at = now(),
            events_delivered = events_delivered + $4, batches_delivered = batches_delivered + 1, last_error = NULL, last_error_at = NULL
      WHERE output_id = $1 AND source_id = $2 AND claimed_through_seq = $3`,
    [outputId, sourceId, range.throughSeq, events],
  );
  return rowCount === 1;
}

/** Notes why the last send failed (one line, no secret, no reply body); the claim stays for the retry. */
export async function recordSendFailure(db: Queryable, outputId: string, sourceId: string, error: string): Promise<void> {
  await db.query('UPDATE output_positions SET last_error = left($3, 500), last_error_at = now() WHERE output_id = $1 AND source_id = $2', [outputId, sourceId, error]);
}

export interface SourceLag {
  sourceId: string;
  sourceName: string;
  deliveredSeq: number;
  claimedThroughSeq: number | null;
  /** Stored events of the source not yet acknowledged by the output. */
  pendingEvents: number;
  /** Seconds since the oldest undelivered event was stored (0 when caught up): how far behind the output runs. */
  lagSeconds: number;
  /** Seconds since the event time of the oldest undelivered event; null when caught up. */
  oldestUndeliveredAgeSeconds: number | null;
  eventsDelivered: number;
  deliveredAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

/** Where the output stands in each source it takes, by PostgreSQL's clock. */
export async function outputLag(db: Queryable, outputId: string): Promise<SourceLag[]> {
  const { rows: positions } = await db.query(
    `SELECT s.id, s.name, COALESCE(p.delivered_seq, 0) AS delivered_seq, p.claimed_through_seq, COALESCE(p.events_delivered, 0)::float8 AS events_delivered,
            p.delivered_at, p.last_error, p.last_error_at
       FROM outputs o
       JOIN sources s ON s.status <> 'removed' AND (o.all_sources OR EXISTS (SELECT 1 FROM output_sources os WHERE os.output_id = o.id AND os.source_id = s.id))
       LEFT JOIN output_positions p ON p.output_id = o.id AND p.source_id = s.id
      WHERE o.id = $1
      ORDER BY s.name`,
    [outputId],
  );
  const lags: SourceLag[] = [];
  for (const row of positions) {
    // One source at a time, its id a parameter the planner sees: it then opens only that source's partitions. Joined
    // to the sources, the same query would open, and lock, every partition of every source.
    const { rows } = await db.query(
      `SELECT count(*)::float8 AS pending, extract(epoch FROM now() - min(event_time))::float8 AS oldest_age,
              -- The first undelivered event by seq is the one stored longest ago: the index finds it without a scan.
              COALESCE(extract(epoch FROM now() - (SELECT p_parse_time FROM events WHERE source_id = $1 AND seq > $2 ORDER BY seq LIMIT 1)), 0)::float8 AS lag_seconds
         FROM events WHERE source_id = $1 AND seq > $2`,
      [row.id, row.delivered_seq],
    );
    const behind = rows[0];
    lags.push({
      sourceId: row.id,
      sourceName: row.name,
      deliveredSeq: Number(row.delivered_seq),
      claimedThroughSeq: row.claimed_through_seq === null ? null : Number(row.claimed_through_seq),
      pendingEvents: behind.pending,
      lagSeconds: Math.max(0, Math.round(behind.lag_seconds)),
      oldestUndeliveredAgeSeconds: behind.oldest_age === null ? null : Math.max(0, Math.round(behind.oldest_age)),
      eventsDelivered: row.events_delivered,
      deliveredAt: row.delivered_at,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
    });
  }
  return lags;
}

/**
 * The event time of the oldest event of the source that some output taking it has not delivered, or null when every
 * such output is caught up (or none takes the source). Retention keeps every partition from this time on.
 */
export async function oldestUndeliveredEventTime(db: Queryable, sourceId: string): Promise<Date | null> {
  const { rows } = await db.query<{ oldest: Date | null }>(
    `WITH behind AS (
       SELECT min(COALESCE(p.delivered_seq, 0)) AS seq
         FROM outputs o LEFT JOIN output_positions p ON p.output_id = o.id AND p.source_id = $1
        WHERE o.all_sources OR EXISTS (SELECT 1 FROM output_sources os WHERE os.output_id = o.id AND os.source_id = $1)
     )
     SELECT min(e.event_time) AS oldest FROM behind JOIN events e ON e.source_id = $1 AND e.seq > behind.seq`,
    [sourceId],
  );
  return rows[0]?.oldest ?? null;
}
