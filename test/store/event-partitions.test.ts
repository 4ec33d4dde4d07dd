import type { EventRow } from '../../atlassian/normalize';
import { analyzeEventMonthsWithoutStatistics, createEventMonthsFor, dropEventMonth, ensureEventPartitions, eventMonthsOf, isMissingEventMonth } from '../../store/event-partitions';
import { insertEvents } from '../../store/events';
import { placeLegalHold, releaseLegalHold, setSourceRetentionDays } from '../../store/retention';
import { deleteSource, insertSource, newSourceKey, type SourceRecord } from '../../store/sources';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { testCipher } from '../../harness/sources';

// Events partitioned by source, then by UTC month of event_time: the mechanics retention and the ingest path rely on.

let own: OwnDatabase;
beforeAll(async () => {
  own = await openOwnDatabase('event_partitions');
});
afterAll(async () => {
  await own?.close();
});

let counter = 0;
async function newSource(backfillDays = 0): Promise<SourceRecord> {
  counter++;
  return insertSource(own.db, {
    name: `parts-${counter}-${Date.now() % 100_000}`,
    organizationId: 'org',
    ...newSourceKey(testCipher, 'key'),
    apiBaseUrl: 'https://api.atlassian.com',
    pollIntervalSeconds: 60,
    silenceWindowSeconds: 3600,
    silenceAlertEnabled: true,
    backfillDays,
    apiKeyExpiresAt: null,
  });
}

function event(eventId: string, eventTime: string): EventRow {
  const raw = JSON.stringify({ id: eventId, attributes: { time: eventTime, action: 'user_login' } });
  return { eventId, eventTime, processedAt: eventTime, action: 'user_login', actorId: 'a1', actorName: null, actorEmail: null, ip: '192.0.2.1', location: null, anyIpAddresses: [], anyEmails: [], anyUsernames: [], raw };
}

const insert = (source: SourceRecord, rows: EventRow[]) => own.db.withTransaction((tx) => insertEvents(tx, source.id, source.name, rows));
const monthNow = (offset = 0) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString().slice(0, 7);
};

it('makes a new source its months from its backfill start to two ahead, and ensureEventPartitions adds the months further ahead', async () => {
  const source = await newSource(0);
  expect((await eventMonthsOf(own.db, source.id)).map((m) => m.month)).toEqual([monthNow(0), monthNow(1), monthNow(2)]);
  const created = await ensureEventPartitions(own.db, new Date(), 4);
  expect(created).toEqual(expect.arrayContaining([expect.stringContaining(source.id.replace(/-/g, ''))]));
  expect((await eventMonthsOf(own.db, source.id)).map((m) => m.month)).toEqual([0, 1, 2, 3, 4].map(monthNow));
  expect(await ensureEventPartitions(own.db, new Date(), 4)).toEqual([]);
});

it('makes months without waiting for a page in flight: attaching takes no lock that an insert holds against it', async () => {
  const source = await newSource(0);
  const writer = await own.db.pool.connect();
  try {
    await writer.query('BEGIN');
    await insertEvents(writer, source.id, source.name, [event('in-flight', new Date().toISOString())]);
    // The page's transaction stays open; with CREATE TABLE ... PARTITION OF, this would wait until lock_timeout.
    const ddl = await own.db.pool.connect();
    try {
      await ddl.query(`SET lock_timeout = '3s'`);
      const { rows } = await ddl.query<{ made: string | null }>(`SELECT create_event_month($1, (date_trunc('month', now()) + interval '5 months')::date) AS made`, [source.id]);
      expect(rows[0].made).toMatch(/^events_[0-9a-f]{32}_\d{6}$/);
    } finally {
      ddl.release();
    }
  } finally {
    await writer.query('ROLLBACK');
    writer.release();
  }
});

it('drops one month of one source, counting its rows, and says null for a month it does not have', async () => {
  const [kept, trimmed] = [await newSource(0), await newSource(0)];
  const lastMonth = monthNow(-1);
  await createEventMonthsFor(own.db, kept.id, [lastMonth], new Date());
  await createEventMonthsFor(own.db, trimmed.id, [lastMonth], new Date());
  const time = `${lastMonth}-15T10:00:00.000Z`;
  await insert(kept, [event('k1', time), event('k2', time)]);
  await insert(trimmed, [event('t1', time), event('t2', time), event('t3', time), event('now', new Date().toISOString())]);
  expect(await dropEventMonth(own.db, trimmed.id, lastMonth)).toEqual({ rows: 3 });
  expect(await dropEventMonth(own.db, trimmed.id, lastMonth)).toBeNull();
  const { rows } = await own.db.query<{ source_id: string; n: number }>('SELECT source_id, count(*)::int AS n FROM events WHERE source_id = ANY($1) GROUP BY source_id', [[kept.id, trimmed.id]]);
  expect(Object.fromEntries(rows.map((r) => [r.source_id, r.n]))).toEqual({ [kept.id]: 2, [trimmed.id]: 1 });
  expect((await eventMonthsOf(own.db, trimmed.id)).map((m) => m.month)).not.toContain(lastMonth);
});

it('reads of one source over a time range touch only that source and those months', async () => {
  const [wanted, other] = [await newSource(0), await newSource(0)];
  // Held: these months are past the default retention, and a held source keeps (and makes) them.
  for (const source of [wanted, other]) await placeLegalHold(own.db, source.id, 'test', 'months from long ago');
  await createEventMonthsFor(own.db, wanted.id, ['2025-01', '2025-02', '2025-03'], new Date());
  await createEventMonthsFor(own.db, other.id, ['2025-02'], new Date());
  const { rows } = await own.db.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT event_id FROM stored_events WHERE source_id = '${wanted.id}' AND event_time >= '2025-02-03T00:00:00Z' AND event_time < '2025-02-20T00:00:00Z'`,
  );
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  const leaves = [...new Set(plan.match(/events_[0-9a-f]{32}_\d{6}/g))];
  expect(leaves).toEqual([`events_${wanted.id.replace(/-/g, '')}_202502`]);
});

it('stores an event re-sent on a later page once, and holds back an id re-sent with another time', async () => {
  const source = await newSource(0);
  const time = new Date().toISOString();
  expect((await insert(source, [event('e1', time), event('e2', time)])).insertedIds).toEqual(['e1', 'e2']);
  const again = await insert(source, [event('e2', time), event('e3', time)]);
  expect(again.insertedIds).toEqual(['e3']);
  expect(again.sameIdOtherTime).toEqual([]);
  const otherTime = await insert(source, [event('e1', new Date(Date.now() - 86_400_000 * 40).toISOString())]);
  expect(otherTime).toEqual({ insertedIds: [], sameIdOtherTime: [expect.objectContaining({ eventId: 'e1' })] });
  const { rows } = await own.db.query<{ event_id: string; seq: string }>('SELECT event_id, seq FROM events WHERE source_id = $1 ORDER BY seq', [source.id]);
  expect(rows.map((r) => r.event_id)).toEqual(['e1', 'e2', 'e3']);
});

it('an event whose month has no partition fails as a missing month; the month is made, unless retention says it expired', async () => {
  const source = await newSource(0);
  await placeLegalHold(own.db, source.id, 'test', 'a month from long ago');
  const late = event('late', '2024-03-10T08:00:00.000Z');
  const failure = await insert(source, [late]).catch((err: unknown) => err);
  expect(isMissingEventMonth(failure)).toBe(true);
  expect(await createEventMonthsFor(own.db, source.id, ['2024-03'], new Date())).toEqual([]);
  expect((await insert(source, [late])).insertedIds).toEqual(['late']);

  // Unheld, with its retention (migration 014's event_retention_cutoff): a month wholly before its cutoff is never made.
  await releaseLegalHold(own.db, source.id, 'test', 'done');
  await setSourceRetentionDays(own.db, source.id, 400);
  const expired = await createEventMonthsFor(own.db, source.id, ['2019-06', monthNow(-3)], new Date());
  expect(expired).toEqual(['2019-06']);
  expect((await eventMonthsOf(own.db, source.id)).map((m) => m.month)).not.toContain('2019-06');
  expect((await eventMonthsOf(own.db, source.id)).map((m) => m.month)).toContain(monthNow(-3));
});

it('gathers the statistics of a filled month that has none, once, so that a page looks its ids up by the event_id index', async () => {
  const source = await newSource(0);
  const now = Date.now();
  // Enough rows that reading the month whole costs more than 500 probes of an index.
  for (let batch = 0; batch < 4; batch++) {
    await insert(source, Array.from({ length: 5000 }, (_, i) => event(`stat-${batch}-${i}`, new Date(now - (batch * 5000 + i) * 100).toISOString())));
  }
  const months = [...new Set([monthNow(0), new Date(now - 20_000 * 100).toISOString().slice(0, 7)])];
  const analyzed = await analyzeEventMonthsWithoutStatistics(own.db, source.id, months);
  expect(analyzed.sort()).toEqual((await eventMonthsOf(own.db, source.id)).filter((m) => months.includes(m.month)).map((m) => m.table).sort());
  expect(await analyzeEventMonthsWithoutStatistics(own.db, source.id, months)).toEqual([]);

  // The look-up of store/events.ts, as a page of 500 ids runs it.
  const ids = Array.from({ length: 500 }, (_, i) => `page-${i}`);
  const { rows } = await own.db.query<{ 'QUERY PLAN': string }>('EXPLAIN SELECT event_id, event_time FROM stored_events WHERE source_id = $1 AND event_id = ANY($2::text[])', [source.id, ids]);
  const monthScans = rows.map((row) => row['QUERY PLAN']).filter((line) => line.includes(' Scan ') && line.includes(`_${monthNow(0).replace('-', '')}`));
  expect(monthScans.length).toBeGreaterThan(0);
  expect(monthScans.filter((line) => line.includes('Index Scan') && !line.includes('_event_id_idx'))).toEqual([]);
  expect(monthScans.filter((line) => line.includes('Seq Scan'))).toEqual([]);
});

it('purging a source drops its partition whole', async () => {
  const source = await newSource(0);
  await insert(source, [event('p1', new Date().toISOString())]);
  await deleteSource(own.db, source.id);
  const { rows } = await own.db.query(`SELECT to_regclass(event_partition_name($1)) AS t`, [source.id]);
  expect(rows[0].t).toBeNull();
  expect(await eventMonthsOf(own.db, source.id)).toEqual([]);
});
