import type { Database } from './database';

/** Events moved per transaction unless the caller says otherwise: short enough that no page waits long on a source. */
export const DEFAULT_MOVE_BATCH = 5_000;

const EVENT_COLUMNS = `source_id, event_id, event_time, processed_at, action, actor_id, actor_name, actor_email, ip, location,
  p_log_type, p_event_time, p_parse_time, p_source_label, p_row_id, p_any_ip_addresses, p_any_emails, p_any_usernames, raw, original`;

/**
 * Moves one batch of the previous release's events (events_unpartitioned) into the partitioned table, in one
 * transaction, and drops the old table once it is empty. Resumable: a batch commits whole or not at all, and the next
 * call takes what is left. Safe beside ingestion: the batch locks its source's checkpoint first, as a page does, so
 * seqs follow commit order, and a page's look-up (stored_events) finds each event in exactly one of the two tables.
 * Returns the events moved by this call and those that remain; 0 remain once the old table is gone.
 */
export async function moveUnpartitionedEvents(db: Database, batchSize: number = DEFAULT_MOVE_BATCH): Promise<{ moved: number; remaining: number }> {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000) throw new Error(`a batch is 1 to 1000000 events, not ${batchSize}`);
  if (!(await oldTableExists(db))) return { moved: 0, remaining: 0 };
  const moved = await db.withTransaction(async (tx) => {
    const { rows: next } = await tx.query<{ source_id: string }>('SELECT source_id FROM events_unpartitioned LIMIT 1');
    if (next.length === 0) return 0;
    const sourceId = next[0].source_id;
    // The order every writer of the source keeps: its checkpoint row, then events.
    await tx.query('SELECT 1 FROM checkpoints WHERE source_id = $1 FOR UPDATE', [sourceId]);
    await tx.query(
      `SELECT create_event_month($1, m.month)
         FROM (SELECT DISTINCT date_trunc('month', b.event_time AT TIME ZONE 'UTC')::date AS month
                 FROM (SELECT event_time FROM events_unpartitioned WHERE source_id = $1 ORDER BY event_id LIMIT $2) b) m`,
      [sourceId, batchSize],
    );
    const { rows } = await tx.query<{ moved: number }>(
      `WITH batch AS (
         DELETE FROM events_unpartitioned
          WHERE source_id = $1 AND event_id IN (SELECT event_id FROM events_unpartitioned WHERE source_id = $1 ORDER BY event_id LIMIT $2)
          RETURNING ${EVENT_COLUMNS}
       ),
       numbered AS (SELECT b.*, row_number() OVER (ORDER BY b.event_time, b.event_id) AS k FROM batch b),
       sequenced AS (
         UPDATE checkpoints SET events_sequenced = events_sequenced + (SELECT count(*) FROM batch)
          WHERE source_id = $1 RETURNING events_sequenced - (SELECT count(*) FROM batch) AS base
       ),
       moved AS (
         INSERT INTO events (${EVENT_COLUMNS}, seq)
         SELECT ${EVENT_COLUMNS.replace(/\s+/g, ' ')}, s.base + n.k FROM numbered n CROSS JOIN sequenced s
         ON CONFLICT (source_id, event_time, event_id) DO NOTHING
         RETURNING 1
       )
       SELECT count(*)::int AS moved FROM batch`,
      [sourceId, batchSize],
    );
    return rows[0].moved;
  });
  const remaining = await countOldEvents(db);
  if (remaining === 0) await dropOldTable(db);
  return { moved, remaining };
}

/** Events per source in both tables, for the counts an upgrade verifies before and after its move. */
export async function countEventsBySource(db: Pick<Database, 'query'>): Promise<Map<string, number>> {
  const { rows } = await db.query<{ source: string; n: string }>(
    `SELECT s.name AS source, count(e.source_id) AS n FROM sources s LEFT JOIN stored_events e ON e.source_id = s.id GROUP BY s.name ORDER BY s.name`,
  );
  return new Map(rows.map((row) => [row.source, Number(row.n)]));
}

export async function countOldEvents(db: Pick<Database, 'query'>): Promise<number> {
  if (!(await oldTableExists(db))) return 0;
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM events_unpartitioned');
  return Number(rows[0].n);
}

async function oldTableExists(db: Pick<Database, 'query'>): Promise<boolean> {
  const { rows } = await db.query<{ exists: boolean }>(`SELECT to_regclass('events_unpartitioned') IS NOT NULL AS exists`);
  return rows[0].exists;
}

/**
 * The view first, so that no reader names the old table any more, then the table. Pages read the view: the drop waits
 * a moment for those in flight, and gives up rather than make new pages queue behind it; the next call drops it.
 */
async function dropOldTable(db: Database): Promise<void> {
  await db.withTransaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '2s'`);
    await tx.query(
      `CREATE OR REPLACE VIEW stored_events AS
         SELECT source_id, event_id, event_time, processed_at, action, actor_id, actor_name, actor_email, ip, location,
                p_log_type, p_event_time, p_parse_time, p_source_id, p_source_label, p_row_id, p_any_ip_addresses, p_any_emails,
                p_any_usernames, raw, original
           FROM events`,
    );
    await tx.query('DROP TABLE IF EXISTS events_unpartitioned');
  }).catch((err: { code?: string }) => {
    // lock_not_available: pages were reading it; the next call tries again.
    if (err.code !== '55P03') throw err;
  });
}
