import { startSimulator } from '../../harness/simulator';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { statusQuery } from '../../contract/source-messages';
import { findSourceById } from '../../store/sources';
import { countEvents, createTestSource, openTestDatabase, testActivities } from '../../harness/sources';
import { sendMessagesUntilBackfilled, settingsAfterRound } from '../../harness/message-storm';
import { replayWithTestBundle, withWorker } from '../../harness/worker';

const TOTAL = 4_000;

// Pages run as local activities, back to back in one workflow task, while operators and the alert dispatcher send
// updates and signals. When handlers did their own work beside the pages, or the loop looked at what they changed
// right after a page, the replay could take another path: a nondeterminism error that stopped the source for good
// (seen in the full chaos run). `npm run bench:replay-under-messages` runs many such trials; this is one.
describe('a source sent updates and signals throughout its backfill', () => {
  it('stores every event once, keeps the last settings sent, and replays its own history', async () => {
    // Small, quick pages: a cycle's end (which signals the watchdog) meets the handlers' work again and again.
    const simulator = await startSimulator({ seed: 59, orgs: [{}], maxPageSize: 10, faults: { latencyMs: 50 }, history: { count: TOTAL, spanMs: 5 * 24 * 3600_000 } });
    const db = openTestDatabase();
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      await withWorker(testActivities(db), async ({ client, taskQueue }) => {
        const handle = await startSourceWorkflow(client, source, taskQueue);
        const lastRound = await sendMessagesUntilBackfilled(handle);
        // Messages reach a backfilling source when its workflow task ends (every 4 s or so): rounds of them throughout.
        expect(lastRound).toBeGreaterThanOrEqual(3);

        const { windowSeconds, intervalSeconds } = settingsAfterRound(lastRound);
        const stored = await findSourceById(db, source.id);
        expect({ interval: stored?.pollIntervalSeconds, window: stored?.silenceWindowSeconds }).toEqual({ interval: intervalSeconds, window: windowSeconds });
        const status = await handle.query(statusQuery);
        expect({ interval: status.pollIntervalSeconds, paused: status.paused, errors: status.errors }).toEqual({ interval: intervalSeconds, paused: false, errors: 0 });
        expect(await countEvents(db, source.id)).toBe(TOTAL);

        await replayWithTestBundle(await handle.fetchHistory(), handle.workflowId);
        await handle.terminate('test done');
      });
    } finally {
      await db.close();
      await simulator.close();
    }
  });
});
