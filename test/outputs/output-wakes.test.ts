import { MockActivityEnvironment } from '@temporalio/testing';
import { createForwardOutput } from '../../activities/forward-output';
import { RoundsInProcess } from '../../activities/rounds-in-process';
import { createOutputWaker, wakeRoundOrSignal } from '../../activities/wake-outputs';
import { createHttpOutput, withIdleSourceToReceiver } from '../../harness/http-output';
import { createIdleSource, eventually, openTestDatabase, testCipher } from '../../harness/sources';
import { storeEvents } from './stored-rows';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A backfill stores pages of 500 several times a second; each wake costs the output a workflow task and a round, which
// is wasted when the batch it finds is still filling. Wakes go when a full batch may wait, or when the batch age passed.
test('ingestion wakes an output when a full batch was stored since the last wake, or when the batch age passed', async () => {
  const db = openTestDatabase();
  try {
    const source = await createIdleSource(db, testCipher);
    const output = await createHttpOutput(db, { url: 'http://127.0.0.1:9/' }, { sourceIds: [source.id], batching: { maxEvents: 1000, maxAgeSeconds: 3 } });
    const woken: number[] = [];
    const started = Date.now();
    const waker = createOutputWaker(db, async (_context, wokenOutput) => {
      expect(wokenOutput.id).toBe(output.id);
      woken.push(Date.now() - started);
    });
    const page = (inserted: number) => new MockActivityEnvironment().run(waker, source.id, inserted);

    await page(500); // the first events after a quiet spell: woken at once
    await page(400); // a batch still filling: held back
    expect(woken).toHaveLength(1);
    await page(700); // a full batch waits: woken once a second has passed since the last wake
    await sleep(700);
    expect(woken).toHaveLength(1);
    await sleep(900);
    expect(woken).toHaveLength(2);
    expect(woken[1]).toBeGreaterThanOrEqual(1000);

    await page(10); // the last page of a backfill: woken when the batch age has passed, not at the output's idle timer
    await sleep(1800);
    expect(woken).toHaveLength(2);
    await sleep(2000);
    expect(woken).toHaveLength(3);
    expect(woken[2] - woken[1]).toBeGreaterThanOrEqual(3000);
  } finally {
    await db.close();
  }
});

// A wake held back past the worker's shutdown went out through the connection the stopped worker had closed, and failed
// (bench:forward logged the gRPC error): a stopping worker drops the wakes it holds and holds no more.
test('a worker that begins to stop drops the wakes it held back and holds no more', async () => {
  const db = openTestDatabase();
  try {
    const source = await createIdleSource(db, testCipher);
    await createHttpOutput(db, { url: 'http://127.0.0.1:9/' }, { sourceIds: [source.id], batching: { maxEvents: 1000, maxAgeSeconds: 1 } });
    const stopping = new AbortController();
    let woken = 0;
    const waker = createOutputWaker(db, async () => void woken++, stopping.signal);
    const page = (inserted: number) => new MockActivityEnvironment().run(waker, source.id, inserted);

    await page(10); // woken at once
    await page(10); // held back until the batch age has passed
    stopping.abort();
    await page(10); // stored while the worker drains: not held either
    await sleep(2_500);
    expect(woken).toBe(1);
  } finally {
    await db.close();
  }
});

// While a backfill stores full batches faster than they go, each wake used to start a round: a signal, a workflow task,
// the output and its lag read again, for one batch. A round now stays while its batches come full, and ingestion in the
// same worker wakes it directly; its workflow is signalled only when no round of the output runs there.
test('a round stays while its source fills a batch at a time, woken by ingestion in its process rather than a signal', () =>
  // A batch age far beyond the test: only a full batch is ever due.
  withIdleSourceToReceiver({ batching: { maxEvents: 100, maxAgeSeconds: 600 } }, async ({ db, receiver, source, output }) => {
    const rounds = new RoundsInProcess();
    const signalled: number[] = [];
    const waker = createOutputWaker(
      db,
      wakeRoundOrSignal(rounds, async () => {
        signalled.push(receiver.received.length);
      }),
    );
    const store = async (count: number) => {
      await storeEvents(db, source, count);
      await new MockActivityEnvironment().run(waker, source.id, count);
    };
    const batchesReceived = (count: number) => eventually(() => Promise.resolve(receiver.received.length), (n) => n === count, 10_000);

    await storeEvents(db, source, 250);
    const round = new MockActivityEnvironment().run(createForwardOutput({ db, cipher: testCipher }, rounds), { outputId: output.id });
    await batchesReceived(2); // 50 events left, filling
    await store(130); // woken in process: a full batch and 80 filling
    await batchesReceived(3);
    await store(120); // two full batches, and nothing left: the round ends
    expect(await round).toMatchObject({ forwarded: 500, batches: 5, more: false });
    expect(receiver.received.map((batch) => batch.records.length)).toEqual([100, 100, 100, 100, 100]);
    expect(signalled).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the waker's once a second
    await store(100); // no round runs here now: its workflow is signalled
    expect(signalled).toEqual([5]);
  }));
