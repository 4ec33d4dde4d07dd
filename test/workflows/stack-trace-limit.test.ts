import { startSimulator } from '../../harness/simulator';
import { statusQuery } from '../../contract/source-messages';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';

// workflows/stack-trace-limit.ts, preloaded into the reusable V8 context, must reach the SDK's promise hook, which runs
// outside that context: a waiting source then holds no stack per pending promise, so the Stack Trace query that reads
// them shows nothing.
describe('the workflow thread stack-trace limit', () => {
  it('leaves a waiting source without promise stacks', async () => {
    const simulator = await startSimulator({ seed: 3, orgs: [{}], history: { count: 10 } });
    const db = openTestDatabase();
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      await withWorker(testActivities(db), async ({ client, taskQueue }) => {
        const handle = await startSourceWorkflow(client, source, taskQueue);
        await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting');
        expect(await handle.query<string>('__stack_trace')).toBe('');
        await handle.terminate('test done');
      });
    } finally {
      await db.close();
      await simulator.close();
    }
  });
});
