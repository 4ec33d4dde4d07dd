import { readAhead } from '../../outputs/next-batch';
import { createIdleSource, openTestDatabase, testCipher } from '../../harness/sources';
import { DEFAULT_BATCHING } from '../../store/outputs';
import { storeEvents } from './stored-rows';

// Behind a batch of a backfill that an output follows lies mostly part of a batch, not yet due: reading it while the
// batch is sent, only to read it again once it is due, cost PostgreSQL a quarter more of its costliest statement.
test('reads ahead only when a full batch may wait behind the batch being sent', async () => {
  const db = openTestDatabase();
  try {
    const source = await createIdleSource(db, testCipher);
    const shape = { format: 'raw', batching: { ...DEFAULT_BATCHING, maxEvents: 100 } } as const;
    const sent = { afterSeq: 0, throughSeq: 100 };
    await storeEvents(db, source, 150);
    expect(await readAhead(db, source.id, sent, shape)).toEqual([]);
    await storeEvents(db, source, 60);
    const ahead = await readAhead(db, source.id, sent, shape);
    expect(ahead.map((record) => record.event.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 101 + i));
  } finally {
    await db.close();
  }
});
