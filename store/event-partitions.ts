import type { Database } from './database';

/** How many months ahead of the current one every source's partitions exist, unless the caller says otherwise. */
export const DEFAULT_MONTHS_AHEAD = 2;

/** A transaction's client, or the pool for a statement of its own. */
type Queryable = { query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }> };

/**
 * Makes, for every source, each month from the oldest it needs (its backfill start, never one already past its
 * retention cutoff) up to monthsAhead after now's. Returns the tables it created. Each month is made in a transaction
 * of its own that waits for no page (see create_event_month in migrations/012_event_partitions.sql).
 */
export async function ensureEventPartitions(db: Database, now: Date, monthsAhead: number): Promise<string[]> {
  if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > 120) throw new Error(`months ahead must be a whole number from 0 to 120, not ${monthsAhead}`);
  const { rows: needed } = await db.query<{ source_id: string; month: string }>(
    `SELECT c.source_id, to_char(m, 'YYYY-MM-DD') AS month
       FROM checkpoints c,
            LATERAL (SELECT date_trunc('month', greatest(c.backfill_from, event_retention_cutoff(c.source_id, $1)) AT TIME ZONE 'UTC') AS first,
                            date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') + make_interval(months => $2) AS last) b,
            generate_series(b.first, b.last, interval '1 month') AS m
      WHERE to_regclass(event_month_name(c.source_id, m::date)) IS NULL
      ORDER BY c.source_id, m`,
    [now, monthsAhead],
  );
  const created: string[] = [];
  for (const { source_id, month } of needed) {
    const table = await createEventMonth(db, source_id, month);
    if (table) created.push(table);
  }
  return created;
}

/** The month partitions a source has, oldest first. */
export async function eventMonthsOf(db: Pick<Database, 'query'>, sourceId: string): Promise<{ month: string; table: string }[]> {
  const { rows } = await db.query<{ table: string }>(
    `SELECT c.relname AS table
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass(event_partition_name($1))
      ORDER BY c.relname`,
    [sourceId],
  );
  return rows.map(({ table }) => ({ month: monthOfTable(table), table }));
}

/**
 * Detaches one month of one source and drops it, counting its rows first for the report; null when the source has no
 * such month. DETACH ... CONCURRENTLY waits for no reader and blocks no page; it cannot run inside a transaction, so
 * a detach left half done by a crash is finished on the next call.
 */
export async function dropEventMonth(db: Database, sourceId: string, month: string): Promise<{ rows: number } | null> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`a month is written YYYY-MM, not ${JSON.stringify(month)}`);
  const names = await db.query<{ parent: string; table: string; exists: boolean; attached: boolean; pending: boolean }>(
    `SELECT event_partition_name($1) AS parent, event_month_name($1, $2::date) AS table,
            to_regclass(event_month_name($1, $2::date)) IS NOT NULL AS exists,
            EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(event_month_name($1, $2::date))) AS attached,
            EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(event_month_name($1, $2::date)) AND inhdetachpending) AS pending`,
    [sourceId, `${month}-01`],
  );
  const { parent, table, exists, attached, pending } = names.rows[0];
  if (!exists) return null;
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
  if (pending) await db.query(`ALTER TABLE ${quoteIdent(parent)} DETACH PARTITION ${quoteIdent(table)} FINALIZE`);
  else if (attached) await db.query(`ALTER TABLE ${quoteIdent(parent)} DETACH PARTITION ${quoteIdent(table)} CONCURRENTLY`);
  await db.query(`DROP TABLE ${quoteIdent(table)}`);
  return { rows: Number(rows[0].n) };
}

/** Makes one month (first day, 'YYYY-MM-DD') of one source; its name when made, null when it was there. */
export async function createEventMonth(q: Queryable, sourceId: string, firstDay: string): Promise<string | null> {
  const { rows } = await q.query('SELECT create_event_month($1, $2::date) AS made', [sourceId, firstDay]);
  return (rows[0] as { made: string | null }).made;
}

/** A new source's partition and its months from its backfill start to monthsAhead, in the transaction that creates it. */
export async function createNewSourceMonths(q: Queryable, sourceId: string, monthsAhead: number): Promise<void> {
  await q.query(
    `SELECT create_event_month(c.source_id, m::date)
       FROM checkpoints c,
            generate_series(date_trunc('month', c.backfill_from AT TIME ZONE 'UTC'),
                            date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => $2), interval '1 month') AS m
      WHERE c.source_id = $1`,
    [sourceId, monthsAhead],
  );
}

/**
 * Detaches and drops the source's whole partition, all its months at once: the purge of a removed source, with no row
 * deleted one by one. The events of the previous release's table go with the source's row (ON DELETE CASCADE).
 */
export async function dropEventSourcePartition(db: Database, sourceId: string): Promise<void> {
  const { rows } = await db.query<{ table: string; attached: boolean; pending: boolean }>(
    `SELECT event_partition_name($1) AS table,
            EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(event_partition_name($1))) AS attached,
            EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(event_partition_name($1)) AND inhdetachpending) AS pending`,
    [sourceId],
  );
  const { table, attached, pending } = rows[0];
  if (pending) await db.query(`ALTER TABLE events DETACH PARTITION ${quoteIdent(table)} FINALIZE`);
  else if (attached) await db.query(`ALTER TABLE events DETACH PARTITION ${quoteIdent(table)} CONCURRENTLY`);
  await db.query(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
}

/** An insert that found no month partition for a row: PostgreSQL's check_violation with its own wording. */
export function isMissingEventMonth(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return code === '23514' && typeof message === 'string' && message.startsWith('no partition of relation');
}

/**
 * Makes the months ('YYYY-MM') a page needs that are missing, each in its own transaction, except those wholly before
 * the source's retention cutoff: returns those, whose events are expired on arrival.
 */
export async function createEventMonthsFor(db: Database, sourceId: string, months: readonly string[], now: Date): Promise<string[]> {
  const { rows } = await db.query<{ month: string; expired: boolean }>(
    `SELECT m.month, (m.month || '-01')::date + interval '1 month' <= (event_retention_cutoff($1, $2) AT TIME ZONE 'UTC') AS expired
       FROM unnest($3::text[]) AS m(month)`,
    [sourceId, now, [...new Set(months)]],
  );
  for (const { month } of rows.filter((row) => !row.expired)) await createEventMonth(db, sourceId, `${month}-01`);
  return rows.filter((row) => row.expired).map((row) => row.month);
}

/**
 * Gathers the planner's statistics of those of the source's months ('YYYY-MM') that have none yet, and returns their
 * tables. The caller names months it has just filled: ANALYZE of an empty month leaves it without statistics still. A month made empty and filled by a backfill has none until autovacuum's next round (a minute
 * or more): meanwhile PostgreSQL takes `source_id = $1` for a selective condition and looks a page's ids up by
 * reading the whole month's primary key, which makes each page slower than the one before it. With statistics, it
 * knows the month holds one source and probes the event_id index instead.
 */
export async function analyzeEventMonthsWithoutStatistics(db: Pick<Database, 'query'>, sourceId: string, months: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ table: string }>(
    `SELECT m.name AS table
       FROM unnest($2::text[]) AS month, event_month_name($1, (month || '-01')::date) AS m(name)
      WHERE to_regclass(m.name) IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = m.name)`,
    [sourceId, [...new Set(months)]],
  );
  for (const { table } of rows) await db.query(`ANALYZE ${quoteIdent(table)}`);
  return rows.map(({ table }) => table);
}

function monthOfTable(table: string): string {
  const yyyymm = table.slice(-6);
  return `${yyyymm.slice(0, 4)}-${yyyymm.slice(4)}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
