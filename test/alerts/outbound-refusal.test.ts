import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { statusQuery } from '../../contract/source-messages';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import type { Database } from '../../store/database';
import { createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { alertsOf } from './alert-test-kit';

// A source whose API base URL points at this host (or its network, or the cloud's metadata service) must not carry its
// key there: the worker refuses the connection, and the source stops as it does for any request that cannot succeed.
// The harness allows 127.0.0.1 only (OUTBOUND_ALLOWED_NETWORKS); this simulator listens on 127.0.0.2. Its URL is an
// allow-listed API base URL (harness/simulator.ts), so the address is what is refused, not the URL.

describe('a source aimed at a refused address', () => {
  let db: Database;
  let simulator: RunningSimulator;
  beforeAll(async () => {
    db = openTestDatabase();
    simulator = await startSimulator({ host: '127.0.0.2', seed: 61, orgs: [{}], history: { count: 5, spanMs: 3600_000 } });
  });
  afterAll(async () => {
    await simulator.close();
    await db.close();
  });

  it('stops with a credentials alert that names the refusal, and the API never hears from it', async () => {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 10 });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      const status = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'failed', 20_000);
      expect(status.failureReason).toContain('refused: 127.0.0.2 is a loopback address, not in OUTBOUND_ALLOWED_NETWORKS');
      const [alert] = await eventually(() => alertsOf(db, source.id, 'credentials'), (a) => a.length === 1, 10_000);
      expect(alert.title).toBe(`${source.name}: polling stopped, the Atlassian API refused the request`);
      expect(alert.message).toContain('127.0.0.2 is a loopback address');
      expect(alert.message).not.toContain(org.keys.valid);
      expect(simulator.requestCounts().total).toBe(0);
      await handle.terminate('test done');
    });
  });
});
