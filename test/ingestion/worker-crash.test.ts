import { randomUUID } from 'node:crypto';
import { startSimulator } from '../../harness/simulator';
import { loadCheckpoint } from '../../store/checkpoints';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { statusQuery } from '../../contract/source-messages';
import { countEvents, createTestSource, eventually, openTestDatabase } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';

const TOTAL = 50_000;

describe('a worker killed in the middle of a backfill', () => {
  it('changes nothing in the final rows: every event once', async () => {
    const simulator = await startSimulator({ seed: 41, orgs: [{}], history: { count: TOTAL, spanMs: 5 * 24 * 3600_000 } });
    const db = openTestDatabase();
    const client = await connectClient();
    const taskQueue = `crash-${randomUUID()}`;
    const workers: WorkerProcess[] = [];
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      workers.push(new WorkerProcess(taskQueue));
      await workers[0].ready();
      const handle = await startSourceWorkflow(client, source, taskQueue);

      const atKill = await eventually(() => countEvents(db, source.id), (n) => n >= TOTAL / 5, 120_000, 20);
      expect(atKill).toBeLessThan(TOTAL);
      await workers[0].kill();

      workers.push(new WorkerProcess(taskQueue));
      await workers[1].ready();
      await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed, 180_000, 200);

      const { rows } = await db.query<{ total: number; distinct_ids: number }>(
        'SELECT count(*)::int AS total, count(DISTINCT event_id)::int AS distinct_ids FROM events WHERE source_id = $1',
        [source.id],
      );
      expect(rows[0]).toEqual({ total: TOTAL, distinct_ids: TOTAL });
      expect((await loadCheckpoint(db, source.id)).eventsIngested).toBe(TOTAL);
      await handle.terminate('test done');
      // The workers' own output (logs, errors of the killed attempt) never shows the key.
      for (const worker of workers) expect(worker.output).not.toContain(org.keys.valid);
    } finally {
      for (const worker of workers) await worker.stop();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }
  });
});
