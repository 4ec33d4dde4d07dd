import type { Database } from './database';
import type { OutputBatching } from './outputs';

type Queryable = Pick<Database, 'query'>;

/** A range of a source's events, by seq: after `afterSeq`, up to and including `throughSeq`. */
export interface ClaimedRange {
  afterSeq: number;
  throughSeq: number;
}

/**
 * What the next batch of an output in a source is: a claimed range to send (the one claimed before, if any, so that a
 * retry sends the very same range), a wait while a small batch is still young, or nothing pending.
 */
export type NextBatch = { claimed: ClaimedRange } | { waitMs: number } | { nothing: true };

/**
 * Claims the output's next batch in the source: the events after its position in seq order, up to the size limits,
 * written as the claimed range before anything is sent. A batch under both limits waits until its oldest event was
 * stored maxAge ago, so a trickle of events makes few, fuller batches.
 */
export async function claimNextBatch(db: Queryable, outputId: string, sourceId: string, batching: OutputBatching): Promise<NextBatch> {
  const position = await readPosition(db, outputId, sourceId);
  if (position.claimedThroughSeq !== null) return { claimed: { afterSeq: position.deliveredSeq, throughSeq: position.claimedThroughSeq } };
  const { rows } = await db.query<{ through: string | null; pending: number; full: boolean; oldest_age: number | null }>(
    `WITH pending AS (
       SELECT seq, p_parse_time, octet_length(raw::text) AS size FROM events
        WHERE source_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
     ), running AS (
       SELECT seq, p_parse_time, sum(size) OVER (ORDER BY seq) AS bytes, row_number() OVER (ORDER BY seq) AS n FROM pending
     )
     SELECT max(seq) FILTER (WHERE bytes <= $4 OR n = 1) AS through,
            count(*)::int AS pending,
            (count(*) >= $3 OR max(bytes) > $4) AS full,
            extract(epoch FROM now() - min(p_parse_time))::float8 AS oldest_age
       FROM running`,
    [sourceId, position.deliveredSeq, batching.maxEvents, batching.maxBytes],
  );
  const found = rows[0];
  if (found.pending === 0 || found.through === null) return { nothing: true };
  const youngFor = batching.maxAgeSeconds - (found.oldest_age ?? 0);
  if (!found.full && youngFor > 0) return { waitMs: Math.ceil(youngFor * 1000) };
  const claimed = await db.query<{ claimed_through_seq: string }>(
    `UPDATE output_positions SET claimed_through_seq = $4, claimed_at = now()
      WHERE output_id = $1 AND source_id = $2 AND delivered_seq = $3 AND claimed_through_seq IS NULL
      RETURNING claimed_through_seq`,
    [outputId, sourceId, position.deliveredSeq, found.through],
  );
  if (claimed.rows.length > 0) return { claimed: { afterSeq: position.deliveredSeq, throughSeq: Number(found.through) } };
  // Another attempt of the forwarder claimed or advanced meanwhile: what it wrote is the range.
  return claimNextBatch(db, outputId, sourceId, batching);
}

interface Position {
  deliveredSeq: number;
  claimedThroughSeq: number | null;
}

async function readPosition(db: Queryable, outputId: string, sourceId: string): Promise<Position> {
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
