import { pollNowSignal } from '../../contract/source-messages';
import { eventMonthsOf } from '../../store/event-partitions';
import { afterBackfill } from '../../harness/backfilled-source';
import { eventually } from '../../harness/sources';

// Through the whole ingest path: a late event whose month has no partition, and an id the API sends again with another
// time, which the partitioned key alone would take as a second event.

const DAY_MS = 24 * 3600_000;
/** The 10th of the month `back` months before this one: long before the backfill, well within the default retention. */
const monthsBack = (back: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 10, 8)).toISOString().replace('.000Z', 'Z');
};
const LATE = monthsBack(6);
const RESENT = monthsBack(5);

it('makes the month of a late event on demand and stores it; holds an id re-sent with another time as duplicate_id', () =>
  afterBackfill({ seed: 2712, count: 40, spanMs: DAY_MS }, async ({ simulator, db, org, source, handle }) => {
    expect((await eventMonthsOf(db, source.id)).map((m) => m.month)).not.toContain(LATE.slice(0, 7));
    const [late] = simulator.addEvents(org.id, { events: [{ time: LATE }] });
    await handle.signal(pollNowSignal);
    await eventually(async () => (await db.query('SELECT event_time FROM events WHERE source_id = $1 AND event_id = $2', [source.id, late])).rows, (rows) => rows.length === 1, 30_000, 100);
    expect((await eventMonthsOf(db, source.id)).map((m) => m.month)).toContain(LATE.slice(0, 7));

    const [next] = simulator.addEvents(org.id, { events: [{ id: late, time: RESENT }, {}] }).slice(1);
    await handle.signal(pollNowSignal);
    await eventually(async () => (await db.query('SELECT 1 FROM events WHERE source_id = $1 AND event_id = $2', [source.id, next])).rows, (rows) => rows.length === 1, 30_000, 100);
    const { rows: stored } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE source_id = $1 AND event_id = $2', [source.id, late]);
    expect(stored[0].n).toBe(1);
    const { rows: held } = await db.query<{ reason: string; time: string }>(
      `SELECT reason, raw::jsonb -> 'attributes' ->> 'time' AS time FROM quarantined_events WHERE source_id = $1 AND event_id = $2`,
      [source.id, late],
    );
    expect(held).toEqual([{ reason: 'duplicate_id', time: RESENT }]);
  }));

it('gathers the statistics of the months a backfill filled, which autovacuum would leave missing for a minute or more', () =>
  afterBackfill({ seed: 2713, count: 40, spanMs: DAY_MS }, async ({ db, source }) => {
    const { rows: unmeasured } = await db.query(
      `SELECT m.name FROM (SELECT DISTINCT event_month_name(source_id, date_trunc('month', event_time AT TIME ZONE 'UTC')::date) AS name FROM events WHERE source_id = $1) m
        WHERE NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = m.name)`,
      [source.id],
    );
    expect(unmeasured).toEqual([]);
  }));
