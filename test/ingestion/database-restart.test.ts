import { randomUUID } from 'node:crypto';
import { startSimulator } from '../../harness/simulator';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { statusQuery } from '../../contract/source-messages';
import { countEvents, createTestSource, eventually, openTestDatabase } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';

const TOTAL = 30_000;

// What a PostgreSQL restart does to a worker: every connection is cut, in the middle of transactions and between
// queries. The worker must fail those pages, retry them and carry on, never die of an unhandled connection error.
describe('a worker whose database connections are cut during a backfill', () => {
  it('stays up and stores every event once', async () => {
    const simulator = await startSimulator({ seed: 43, orgs: [{}], history: { count: TOTAL, spanMs: 5 * 24 * 3600_000 } });
    const db = openTestDatabase();
    const client = await connectClient();
    const worker = new WorkerProcess(`pg-cut-${randomUUID()}`);
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      await worker.ready();
      const handle = await startSourceWorkflow(client, source, worker.taskQueue);

      let cuts = 0;
      for (const share of [0.2, 0.4, 0.6]) {
        await eventually(() => countEvents(db, source.id), (n) => n >= TOTAL * share, 120_000, 20);
        const { rows } = await db.query<{ cut: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS cut FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        );
        cuts += rows[0].cut;
      }
      expect(cuts).toBeGreaterThanOrEqual(3);

      await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed, 180_000, 200);
      expect(worker.exited).toBe(false);
      const { rows } = await db.query<{ total: number; distinct_ids: number }>(
        'SELECT count(*)::int AS total, count(DISTINCT event_id)::int AS distinct_ids FROM events WHERE source_id = $1',
        [source.id],
      );
      expect(rows[0]).toEqual({ total: TOTAL, distinct_ids: TOTAL });
      await handle.terminate('test done');
    } finally {
      await worker.stop();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }
  });
});
