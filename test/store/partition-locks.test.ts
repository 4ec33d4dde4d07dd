import type { Database } from '../../store/database';
import { ensureEventPartitions } from '../../store/event-partitions';
import { outputLag } from '../../store/output-positions';
import { DEFAULT_BATCHING, insertOutput } from '../../store/outputs';
import type { SourceRecord } from '../../store/sources';
import { createIdleSource, openTestDatabase, testCipher } from '../../harness/sources';
import { storeEvents } from '../outputs/stored-rows';

// A read of one source's events must open only that source's partitions. One that opens them all takes a lock on
// every month of every source (and its indexes) until its transaction ends: with a few hundred sources, pages fail
// with "out of shared memory". The new-country rule and an output's lag read events on every page or round.

let db: Database;
let read: SourceRecord;
let other: SourceRecord;
beforeAll(async () => {
  db = openTestDatabase();
  read = await createIdleSource(db, testCipher);
  other = await createIdleSource(db, testCipher);
  await storeEvents(db, read, 3);
  await storeEvents(db, other, 3);
});
afterAll(async () => db.close());

/** The events partitions of a source that this transaction holds a lock on. */
async function lockedPartitionsOf(tx: Pick<Database, 'query'>, source: SourceRecord): Promise<string[]> {
  const { rows } = await tx.query<{ relname: string }>(
    `SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
      WHERE l.pid = pg_backend_pid() AND c.relname LIKE $1 ORDER BY c.relname`,
    [`events_${source.id.replace(/-/g, '')}%`],
  );
  return rows.map((r) => r.relname);
}

describe('reads of one source lock only its partitions', () => {
  it('the new-country look-up', async () => {
    await db.withTransaction(async (tx) => {
      await tx.query('SELECT detection_country_seen($1, $2, $3, $4)', [read.id, 'Norway', new Date(Date.now() - 30 * 86_400_000), new Date()]);
      expect(await lockedPartitionsOf(tx, read)).not.toEqual([]);
      expect(await lockedPartitionsOf(tx, other)).toEqual([]);
    });
  });

  it("an output's lag", async () => {
    const output = await insertOutput(db, testCipher, {
      name: `locks-${read.name}`,
      kind: 'http',
      format: 'raw',
      settings: {},
      allSources: false,
      sourceIds: [read.id],
      batching: DEFAULT_BATCHING,
      lagAlertSeconds: 3600,
      secrets: { url: 'https://receiver.example/in' },
    });
    await db.withTransaction(async (tx) => {
      expect((await outputLag(tx, output.id)).map((lag) => [lag.sourceName, lag.pendingEvents])).toEqual([[read.name, 3]]);
      expect(await lockedPartitionsOf(tx, read)).not.toEqual([]);
      expect(await lockedPartitionsOf(tx, other)).toEqual([]);
    });
  });
});

it('sources made at once, while partitions are made ahead, never deadlock', async () => {
  // Each new source writes its row, then attaches its partitions, which locks events, then sources for the foreign
  // key: without one lock taken first by every maker of partitions, two of them deadlock.
  const made = await Promise.all([
    ...Array.from({ length: 12 }, () => createIdleSource(db, testCipher)),
    ensureEventPartitions(db, new Date(), 3),
    ensureEventPartitions(db, new Date(), 4),
  ]);
  expect(made).toHaveLength(14);
});
