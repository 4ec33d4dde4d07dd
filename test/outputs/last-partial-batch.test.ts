import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { startOutputWorkflow } from '../../outputs/start-output-workflow';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { HttpReceiver } from '../../harness/http-receiver';
import { startSimulator } from '../../harness/simulator';
import { countEvents, createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { createHttpOutput } from './output-kit';

const DAY_MS = 24 * 3600_000;
const MAX_AGE_SECONDS = 4;

// Issue 26 promises that new events wake an output within seconds. A backfill (or a poll) that ends on a batch still
// filling stores nothing more, so no later page wakes the output: the round that finds the batch young must have its
// workflow come back when the batch's age passes, not at its 5-minute idle timer.
test('the partial batch a backfill ends on is forwarded once its age passes, not at the idle timer', async () => {
  const simulator = await startSimulator({ seed: 126, orgs: [{}], history: { count: 2_300, spanMs: DAY_MS } });
  const receiver = await HttpReceiver.start();
  const db = openTestDatabase();
  try {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
    const output = await createHttpOutput(db, receiver, { sourceIds: [source.id], batching: { maxEvents: 1000, maxAgeSeconds: MAX_AGE_SECONDS } });
    const received = () => Promise.resolve(new Set(receiver.accepted().map((record) => record.id)).size);
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const outputHandle = await startOutputWorkflow(client, output, taskQueue);
      const sourceHandle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => countEvents(db, source.id), (n) => n === 2_300, 60_000, 20);
      const storedAt = Date.now();
      await eventually(received, (n) => n === 2_300, (MAX_AGE_SECONDS + 5) * 1000, 20);
      process.stdout.write(`the backfill's last events forwarded ${Date.now() - storedAt} ms after they were stored\n`);
      await eventually(() => sourceHandle.query(statusQuery), (s) => s.phase === 'waiting', 10_000);
      // Polls that store a few events, then nothing more: each a batch that only its age makes due.
      for (const count of [7, 1]) {
        const before = await countEvents(db, source.id);
        simulator.addEvents(org.id, { count });
        await sourceHandle.signal(pollNowSignal);
        await eventually(() => countEvents(db, source.id), (n) => n === before + count, 10_000, 20);
        const at = Date.now();
        await eventually(received, (n) => n === before + count, (MAX_AGE_SECONDS + 5) * 1000, 20);
        process.stdout.write(`${count} new events forwarded ${Date.now() - at} ms after they were stored\n`);
      }
      await sourceHandle.terminate('test done');
      await outputHandle.terminate('test done');
    });
  } finally {
    await db.close();
    await receiver.close();
    await simulator.close();
  }
});
