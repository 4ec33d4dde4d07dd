import { readEvents } from '../../outputs/read-events';
import { createIdleSource, openTestDatabase, testCipher } from '../../harness/sources';
import { analyzeEventMonthsWithoutStatistics } from '../../store/event-partitions';
import { pendingBatchState } from '../../store/output-positions';
import { DEFAULT_BATCHING } from '../../store/outputs';
import type { Database } from '../../store/database';
import { storeEvents } from './stored-rows';

// An output following a backfill reads past what the month's statistics knew when they were taken: seqs only grow, and
// autovacuum takes new statistics a minute or more later. With a second month in the source, PostgreSQL then expected
// a handful of events after the position and read and sorted the whole backlog for each batch (bench:forward: 435 ms a
// batch of 5,000 with 50,000 behind it). Each read must cost a batch, whatever the statistics say.

const LIMIT = 500;

test('an output reads a batch of a backlog its statistics do not know of without reading the backlog', async () => {
  const db = openTestDatabase();
  try {
    const source = await createIdleSource(db, testCipher);
    const now = new Date();
    const thisMonth = now.toISOString().slice(0, 7);
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 15));
    // A backfill's first page, then its statistics, as the ingest path gathers them; then the rest of the backfill.
    await storeEvents(db, source, 4, nextMonth);
    await storeEvents(db, source, 1_000, now);
    await analyzeEventMonthsWithoutStatistics(db, source.id, [thisMonth, nextMonth.toISOString().slice(0, 7)]);
    for (let part = 0; part < 4; part++) await storeEvents(db, source, 5_000, now);

    const plans: unknown[] = [];
    const explaining = explainingQueries(db, plans);
    const batching = { ...DEFAULT_BATCHING, maxEvents: LIMIT, maxBytes: 64 * 1024 * 1024 };
    expect(await pendingBatchState(explaining, source.id, 10_000, batching)).toEqual({ due: true });
    const read = await readEvents(explaining, source.id, { afterSeq: 10_000, limit: LIMIT });
    expect(read.map(({ event }) => event.seq)).toEqual(Array.from({ length: LIMIT }, (_, i) => 10_001 + i));

    // 11,004 events lie past the position: no step of either plan may come near them.
    expect(plans).toHaveLength(2);
    for (const plan of plans) expect(mostRowsOfAStep(plan)).toBeLessThanOrEqual(2 * LIMIT);
  } finally {
    await db.close();
  }
});

test('seqs left unused, however many, make a batch smaller but never hide the events after them', async () => {
  const db = openTestDatabase();
  try {
    const source = await createIdleSource(db, testCipher);
    await storeEvents(db, source, 3_000, new Date());
    // Erased events leave their seqs unused: here a run longer than the window a read looks in.
    await db.query('DELETE FROM events WHERE source_id = $1 AND seq BETWEEN 11 AND 2990', [source.id]);
    const batching = { ...DEFAULT_BATCHING, maxEvents: LIMIT, maxBytes: 64 * 1024 * 1024, maxAgeSeconds: 0 };
    const seqsAfter = async (afterSeq: number) => (await readEvents(db, source.id, { afterSeq, limit: LIMIT })).map(({ event }) => event.seq);
    expect(await seqsAfter(5)).toEqual([6, 7, 8, 9, 10]);
    expect(await pendingBatchState(db, source.id, 10, batching)).toEqual({ due: true });
    expect(await seqsAfter(10)).toEqual(Array.from({ length: 10 }, (_, i) => 2991 + i));
    expect(await pendingBatchState(db, source.id, 3_000, batching)).toEqual({ nothing: true });
    expect(await seqsAfter(3_000)).toEqual([]);
  } finally {
    await db.close();
  }
});

/** Runs each statement as asked, after running it under EXPLAIN ANALYZE and keeping the plan it took. */
function explainingQueries(db: Database, plans: unknown[]): Pick<Database, 'query'> {
  return {
    query: (async (text: string, params?: unknown[]) => {
      const { rows } = await db.query<{ 'QUERY PLAN': unknown[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, params);
      plans.push(rows[0]['QUERY PLAN'][0]);
      return db.query(text, params);
    }) as Database['query'],
  };
}

/** The most rows any step of the plan produced, over all its loops. */
function mostRowsOfAStep(plan: unknown): number {
  const node = plan as { Plan?: unknown; Plans?: unknown[]; 'Actual Rows'?: number; 'Actual Loops'?: number };
  const own = (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1);
  const children = [...(node.Plan ? [node.Plan] : []), ...(node.Plans ?? [])];
  return Math.max(own, ...children.map(mostRowsOfAStep));
}
