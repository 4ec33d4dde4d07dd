import { apiKeyContext } from '../../store/credentials';
import { RunningSimulator } from '../../simulator/server';
import { updateSource, findSourceById } from '../../store/sources';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { keyRotatedSignal, pauseSignal, pollNowSignal, resumeSignal, setIntervalUpdate, statusQuery } from '../../contract/source-messages';
import { countEvents, createTestSource, eventually, testActivities, testCipher } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { Database } from '../../store/database';
import { useSimulatorAndDatabase } from '../../harness/fixtures';

const streamRequests = (simulator: RunningSimulator, orgId: string) => simulator.requestCounts().byOrg[orgId]?.['events-stream'] ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('operators steer a running source', () => {
  let simulator: RunningSimulator;
  let db: Database;
  useSimulatorAndDatabase({ seed: 21, orgs: [{}, {}], history: { count: 300, spanMs: 3600_000 } }, (fixture) => ({ simulator, db } = fixture));

  it('pause stops API requests, resume restarts them, poll-now polls at once, a shorter interval applies at once', async () => {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 60 });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');

      const askedAt = Date.now();
      const before = streamRequests(simulator, org.id);
      await handle.signal(pollNowSignal);
      await eventually(async () => streamRequests(simulator, org.id), (n) => n > before, 5_000, 20);
      expect(Date.now() - askedAt).toBeLessThan(1_000);

      await handle.signal(pauseSignal, 'maintenance');
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'paused');
      expect((await findSourceById(db, source.id))?.status).toBe('paused');
      const whilePaused = streamRequests(simulator, org.id);
      await handle.signal(pollNowSignal);
      await sleep(1_500);
      expect(streamRequests(simulator, org.id)).toBe(whilePaused);

      await handle.signal(resumeSignal);
      await eventually(async () => streamRequests(simulator, org.id), (n) => n > whilePaused, 5_000, 20);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      expect((await findSourceById(db, source.id))?.status).toBe('active');

      // The 60 s timer is running; after the change the next poll comes 10 s after the wait began, not 60 s.
      const waitingSince = Date.now();
      const beforeChange = streamRequests(simulator, org.id);
      expect(await handle.executeUpdate(setIntervalUpdate, { args: [10] })).toEqual({ previousSeconds: 60, seconds: 10 });
      await eventually(async () => streamRequests(simulator, org.id), (n) => n > beforeChange, 15_000, 100);
      expect(Date.now() - waitingSince).toBeLessThan(12_000);
      expect((await handle.query(statusQuery)).pollIntervalSeconds).toBe(10);

      // The validator rejects before anything is written to history; the reason travels as the update's cause.
      await expect(handle.executeUpdate(setIntervalUpdate, { args: [5] })).rejects.toMatchObject({
        cause: { message: 'interval must be between 10 s and 86400 s (24 h), got 5 s' },
      });
      await expect(handle.executeUpdate(setIntervalUpdate, { args: [90_000] })).rejects.toMatchObject({ cause: { message: expect.stringContaining('got 90000 s') } });
      expect((await handle.query(statusQuery)).pollIntervalSeconds).toBe(10);
      await handle.terminate('test done');
    });
  });

  it('an expired key stops polling and fails the source; a rotated key resumes it with no event lost', async () => {
    const org = simulator.orgs[1];
    const doomedKey = simulator.addKey(org.id, 'valid');
    const source = await createTestSource(db, { organizationId: org.id, apiKey: doomedKey, apiBaseUrl: simulator.url });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      expect(await countEvents(db, source.id)).toBe(300);

      simulator.expireKey(doomedKey);
      const missed = simulator.addEvents(org.id, { count: 40 });
      await handle.signal(pollNowSignal);
      const failed = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'failed');
      expect(failed.failureReason).toMatch(/expired|revoked/i);
      const stored = await findSourceById(db, source.id);
      expect(stored).toMatchObject({ status: 'failed' });
      expect(stored?.statusReason).toMatch(/expired|revoked/i);

      // Stopped means stopped: no retry loop against a key that cannot work.
      const afterFailure = streamRequests(simulator, org.id);
      await handle.signal(pollNowSignal);
      await sleep(1_500);
      expect(streamRequests(simulator, org.id)).toBe(afterFailure);

      await updateSource(db, source.id, { apiKeyCiphertext: testCipher.seal(org.keys.valid, apiKeyContext(source.id)) });
      await handle.signal(keyRotatedSignal);
      await eventually(() => countEvents(db, source.id), (n) => n === 340);
      const { rows } = await db.query('SELECT count(*)::int AS n FROM events WHERE source_id = $1 AND event_id = ANY($2)', [source.id, missed]);
      expect(rows[0].n).toBe(40);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting' && s.failureReason === undefined);
      expect((await findSourceById(db, source.id))?.status).toBe('active');
      await handle.terminate('test done');
    });
  });
});
