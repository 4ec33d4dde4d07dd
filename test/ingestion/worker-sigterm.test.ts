import { randomUUID } from 'node:crypto';
import { startSimulator } from '../../harness/simulator';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { statusQuery } from '../../contract/source-messages';
import { countEvents, createTestSource, eventually, openTestDatabase } from '../../harness/sources';
import { connectClient, replayWithTestBundle } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';

const TOTAL = 3_000;

// A rolling deploy SIGTERMs every worker in turn. A worker stopped in the middle of a backfill, whose pages follow each
// other in one workflow task, must still drain: it finishes the page in flight, hands the next one back and exits on
// its own. The source then goes on on another worker without counting an error or waiting out its interval.
describe('a worker given SIGTERM in the middle of a backfill', () => {
  it('drains and exits 0, and its source goes on at once on the next worker', async () => {
    // Slow pages, as from a distant API: the stop always finds one in flight, and more would follow.
    const simulator = await startSimulator({ seed: 47, orgs: [{}], maxPageSize: 100, faults: { latencyMs: 1500 }, history: { count: TOTAL, spanMs: 5 * 24 * 3600_000 } });
    const db = openTestDatabase();
    const client = await connectClient();
    const taskQueue = `sigterm-${randomUUID()}`;
    // One worker at a time: the source's task is surely on the one stopped.
    const first = new WorkerProcess(taskQueue);
    let second: WorkerProcess | undefined;
    try {
      const org = simulator.orgs[0];
      // An hour between polls: a source that waited it out after the stop would not finish within this test.
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 3600 });
      await first.ready();
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => countEvents(db, source.id), (n) => n >= 500, 60_000, 20);

      // Without the hand-back the worker starts page after page until its force time and exits 1.
      await first.stop();
      expect(await first.ended()).toBe(0);
      // One info line for the page handed back, not a failure's warning with its stack.
      const handedBack = first.output.split('\n').filter((line) => line.includes('the page is left to another worker'));
      expect(handedBack.map((line) => (JSON.parse(line) as { level: number }).level)).toEqual([30]);
      expect(await countEvents(db, source.id)).toBeLessThan(TOTAL);

      second = new WorkerProcess(taskQueue);
      const status = await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed, 120_000, 200);
      expect(status.errors).toBe(0);
      expect(await countEvents(db, source.id)).toBe(TOTAL);
      // The hand-back is a workflow path of its own: its history replays against the same code.
      await replayWithTestBundle(await handle.fetchHistory(), handle.workflowId);
      await handle.terminate('test done');
    } finally {
      await first.stop();
      await second?.stop();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }
  });
});
