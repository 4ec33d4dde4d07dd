import { statusQuery } from '../../contract/source-messages';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import type { RateLimitHeader } from '../../simulator/rate-limit';
import { startSimulator } from '../../harness/simulator';
import { budgetOf } from '../../store/api-pacing';
import { countEvents, createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';

// Rate-limit headers are untrusted: whatever a response says of the window may slow an organization down, within an
// hour, but never fail its pages or hold them for longer. (A 429's hints are capped at an hour, and nonsense in them
// falls back to backoff: test/atlassian/retry-delay.unit.test.ts.)

type Headers = Partial<Record<RateLimitHeader, string>>;

const EVENTS = 600;

async function backfillsWith(headers: Headers): Promise<{ stored: number; holdSeconds: number }> {
  // Six pages of 100: the headers of each success set the pace of the next request.
  const simulator = await startSimulator({ seed: 25, orgs: [{}], history: { count: EVENTS, spanMs: 3600_000 }, maxPageSize: 100 });
  const db = openTestDatabase();
  try {
    simulator.setRateLimit({ headers });
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
    return await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      try {
        await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed, 60_000, 200);
        const { rows } = await db.query<{ hold_s: number }>('SELECT extract(epoch FROM next_request_at - now())::float8 AS hold_s FROM api_pacing WHERE budget = $1', [
          budgetOf(source),
        ]);
        return { stored: await countEvents(db, source.id), holdSeconds: rows[0].hold_s };
      } finally {
        await handle.terminate('test done');
      }
    });
  } finally {
    await db.close();
    await simulator.close();
  }
}

describe('hostile rate-limit headers on successful pages', () => {
  it.each<[string, Headers]>([
    // Read by Date.parse as the year 3600, it held the organization's pace for centuries.
    ['a reset of 3600 (delta seconds)', { 'X-RateLimit-Reset': '3600' }],
    ['a reset in the year 3600 with nothing remaining', { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '3600-01-01T00:00Z' }],
    ['a reset at epoch 99999999999 with nothing remaining', { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '99999999999' }],
    // Failed the cast into PostgreSQL's int, and with it every page.
    ['a fractional remaining count', { 'X-RateLimit-Remaining': '2.5' }],
    ['a remaining count of 1e20', { 'X-RateLimit-Remaining': '1e20' }],
  ])('%s: the source keeps ingesting', async (_case, headers) => {
    const { stored, holdSeconds } = await backfillsWith(headers);
    expect(stored).toBe(EVENTS);
    expect(holdSeconds).toBeLessThan(60);
  });
});
