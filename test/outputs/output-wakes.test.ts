import { MockActivityEnvironment } from '@temporalio/testing';
import { createOutputWaker } from '../../activities/wake-outputs';
import type { HttpReceiver } from '../../harness/http-receiver';
import { openTestDatabase, testCipher } from '../../harness/sources';
import { createHttpOutput } from './output-kit';
import { createIdleSource } from './stored-rows';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A backfill stores pages of 500 several times a second; each wake costs the output a workflow task and a round, which
// is wasted when the batch it finds is still filling. Wakes go when a full batch may wait, or when the batch age passed.
test('ingestion wakes an output when a full batch was stored since the last wake, or when the batch age passed', async () => {
  const db = openTestDatabase();
  try {
    const source = await createIdleSource(db, testCipher);
    const output = await createHttpOutput(db, { url: 'http://127.0.0.1:9/' } as HttpReceiver, { sourceIds: [source.id], batching: { maxEvents: 1000, maxAgeSeconds: 3 } });
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
