import { startSimulator } from '../../harness/simulator';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { statusQuery } from '../../contract/source-messages';
import { countEvents, createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';

describe('a rate-limited source', () => {
  it('waits as long as the 429 asked, without hammering the API or counting an error', async () => {
    // Two requests a minute: the third page of the backfill is refused until the next clock minute.
    const simulator = await startSimulator({ seed: 51, orgs: [{}], history: { count: 1_400, spanMs: 3600_000 }, rateLimit: { requestsPerMinute: 2, form: 'retry-after-seconds' } });
    const db = openTestDatabase();
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      await withWorker(testActivities(db), async ({ client, taskQueue }) => {
        const started = Date.now();
        const handle = await startSourceWorkflow(client, source, taskQueue);
        await eventually(() => countEvents(db, source.id), (n) => n >= 1_000, 10_000, 50);
        const resetAt = started - (started % 60_000) + 60_000;
        const requestsWhileLimited = () => simulator.requestCounts().byOrg[org.id]['events-stream'] ?? 0;
        // Until the window resets: the refused request and nothing more (a backoff of its own would retry after 1 s).
        if (resetAt - Date.now() > 3_000) {
          const before = requestsWhileLimited();
          await new Promise((r) => setTimeout(r, Math.min(10_000, resetAt - Date.now() - 2_000)));
          expect(requestsWhileLimited() - before).toBeLessThanOrEqual(1);
        }
        const status = await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed, 90_000, 200);
        expect(Date.now()).toBeGreaterThanOrEqual(resetAt);
        expect(await countEvents(db, source.id)).toBe(1_400);
        expect(status.errors).toBe(0);
        await handle.terminate('test done');
      });
    } finally {
      await db.close();
      await simulator.close();
    }
  });
});
