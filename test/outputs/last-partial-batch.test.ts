import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { startOutputWorkflow } from '../../outputs/start-output-workflow';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { withSimulatedSourceToReceiver } from '../../harness/http-output';
import { countEvents, eventually } from '../../harness/sources';

const DAY_MS = 24 * 3600_000;
const MAX_AGE_SECONDS = 4;

// Issue 26 promises that new events wake an output within seconds. A backfill (or a poll) that ends on a batch still
// filling stores nothing more, so no later page wakes the output: the round that finds the batch young must have its
// workflow come back when the batch's age passes, not at its 5-minute idle timer.
test('the partial batch a backfill ends on is forwarded once its age passes, not at the idle timer', () =>
  withSimulatedSourceToReceiver({ seed: 126, count: 2_300, spanMs: DAY_MS }, { batching: { maxEvents: 1000, maxAgeSeconds: MAX_AGE_SECONDS } }, async (fixture) => {
    const { simulator, org, db, receiver, source, output, client, taskQueue } = fixture;
    const received = () => Promise.resolve(new Set(receiver.accepted().map((record) => record.id)).size);
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
  }));
