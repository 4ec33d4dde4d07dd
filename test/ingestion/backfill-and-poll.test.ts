import { startSimulator } from '../../harness/simulator';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { countEvents, createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';

const DAY_MS = 24 * 3600_000;

describe('source workflow: backfill, then poll', () => {
  it('backfills the window into PostgreSQL once, then picks up new events on poll-now', async () => {
    const simulator = await startSimulator({ seed: 11, orgs: [{}], history: { count: 5_000, spanMs: 6 * DAY_MS } });
    const db = openTestDatabase();
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      await withWorker(testActivities(db), async ({ client, taskQueue }) => {
        const handle = await startSourceWorkflow(client, source, taskQueue);
        await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting');
        expect(await countEvents(db, source.id)).toBe(5_000);
        const status = await handle.query(statusQuery);
        expect(status).toMatchObject({ eventsIngested: 5_000, errors: 0, paused: false, backfill: { completed: true, percent: 100 } });

        const added = simulator.addEvents(org.id, { count: 25 });
        const askedAt = Date.now();
        await handle.signal(pollNowSignal);
        await eventually(() => countEvents(db, source.id), (n) => n === 5_025, 10_000, 50);
        expect(Date.now() - askedAt).toBeLessThan(5_000);
        const { rows } = await db.query('SELECT event_id FROM events WHERE source_id = $1 AND event_id = ANY($2)', [source.id, added]);
        expect(rows).toHaveLength(25);
        await handle.terminate('test done');
      });
    } finally {
      await db.close();
      await simulator.close();
    }
  });
});
