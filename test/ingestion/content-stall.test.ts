import { CONTENT_FAILURES_BEFORE_STALL } from '../../atlassian/failures';
import { pollNowSignal, resumeSignal, statusQuery } from '../../contract/source-messages';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { startSimulator } from '../../harness/simulator';
import type { Database } from '../../store/database';
import { alertsOf } from '../alerts/alert-test-kit';
import { countEvents, createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';

// A truncated body is routine and retried; the same page unreadable attempt after attempt is not: the source stops as
// failed, says why, and the operator is told, until a resume lets it try again. No event is skipped either way.

const contentFailures = async (db: Database, sourceId: string) =>
  (await db.query<{ n: number }>('SELECT content_failures AS n FROM checkpoints WHERE source_id = $1', [sourceId])).rows[0].n;

describe('a page the API keeps answering with an unreadable body', () => {
  it('stops the source as failed with the reason and an alert, and a resume lets it go on where it stopped', async () => {
    const simulator = await startSimulator({ seed: 25, orgs: [{}], history: { count: 200, spanMs: 3600_000 } });
    const db = openTestDatabase();
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 10 });
      await withWorker(testActivities(db), async ({ client, taskQueue }) => {
        // Two truncated bodies are transient: retried, and forgotten once the page commits.
        simulator.failNext({ kind: 'truncated-json', count: 2, orgId: org.id });
        const handle = await startSourceWorkflow(client, source, taskQueue);
        await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting', 30_000, 100);
        expect(await countEvents(db, source.id)).toBe(200);
        expect(await contentFailures(db, source.id)).toBe(0);

        // From now on every answer is an HTML page. As if all but the last three attempts had failed already:
        // the test need not wait the minutes that the retries between them take.
        simulator.addEvents(org.id, { count: 50 });
        simulator.failNext({ kind: 'invalid-json', count: 1_000_000, orgId: org.id });
        await db.query('UPDATE checkpoints SET content_failures = $2 WHERE source_id = $1', [source.id, CONTENT_FAILURES_BEFORE_STALL - 3]);
        await handle.signal(pollNowSignal);
        const failed = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'failed', 30_000, 100);
        expect(failed.failureReason).toMatch(
          new RegExp(`^the API answered the same page ${CONTENT_FAILURES_BEFORE_STALL} times in a row with a body that cannot be read; the last: Atlassian events-stream response is not valid JSON`),
        );
        const [alert] = await eventually(() => alertsOf(db, source.id, 'credentials'), (a) => a.length === 1, 10_000, 100);
        expect(alert).toMatchObject({ status: 'open', title: `${source.name}: polling stopped, the Atlassian API keeps answering with a page that cannot be read` });
        expect(alert.message).toContain(`atlassian-audit resume ${source.name}`);
        // Stopped, it asks no more: the organization's budget is not spent on the page.
        const asked = simulator.requestCounts().byOrg[org.id]['events-stream'];
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expect(simulator.requestCounts().byOrg[org.id]['events-stream']).toBe(asked);
        expect(await countEvents(db, source.id)).toBe(200);

        // The API answers properly again; the operator resumes the source.
        simulator.clearFaults();
        await handle.signal(resumeSignal);
        await eventually(() => countEvents(db, source.id), (n) => n === 250, 30_000, 100);
        await eventually(() => handle.query(statusQuery), (s) => s.phase !== 'failed', 10_000, 100);
        expect(await contentFailures(db, source.id)).toBe(0);
        await eventually(() => alertsOf(db, source.id, 'credentials'), (a) => a[0].status === 'resolved', 10_000, 100);
        await handle.terminate('test done');
      });
    } finally {
      await db.close();
      await simulator.close();
    }
  });
});
