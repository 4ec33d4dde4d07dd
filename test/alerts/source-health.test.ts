import { apiKeyContext } from '../../store/credentials';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { openAlert, resolveAlert } from '../../alerts/alert-store';
import type { Database } from '../../store/database';
import { updateSource } from '../../store/sources';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import type { RunningSimulator } from '../../simulator/server';
import { ensureAlertDispatcher } from '../../workers/alert-dispatcher';
import { alertDispatcherWorkflowId } from '../../contract/ids';
import { setSilenceAlarmUpdate, wakeDispatcherSignal } from '../../contract/alert-messages';
import { keyRotatedSignal, pauseSignal, pollNowSignal, statusQuery, stopSignal } from '../../contract/source-messages';
import { createTestSource, eventually, testActivities, testCipher } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { alertOpenAttribute, alertsOf, noticesAbout, routeAlertsTo, sleep, useAlertFixture, watchdogOf, watchdogView } from './alert-test-kit';
import { WebhookReceiver } from '../../harness/webhook-receiver';

const DAY_MS = 24 * 3600_000;

describe('source health alerts', () => {
  let simulator: RunningSimulator;
  let db: Database;
  let receiver: WebhookReceiver;
  useAlertFixture({ seed: 54, orgs: [{}, {}], history: { count: 40, spanMs: 3600_000 } }, (fixture) => ({ simulator, db, receiver } = fixture));

  it('raises the credentials alert within one poll of an expired key, and resolves it once a new key works', async () => {
    const org = simulator.orgs[0];
    const doomedKey = simulator.addKey(org.id, 'valid');
    const source = await createTestSource(db, { organizationId: org.id, apiKey: doomedKey, apiBaseUrl: simulator.url, pollIntervalSeconds: 10 });
    const path = await routeAlertsTo(db, source.id, receiver.url);
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      expect(await alertOpenAttribute(handle)).toBe(false);

      simulator.expireKey(doomedKey);
      const askedAt = Date.now();
      await handle.signal(pollNowSignal);
      const [alert] = await eventually(() => alertsOf(db, source.id, 'credentials'), (a) => a.length === 1, 10_000, 50);
      // The poll that met the expired key raised it, not a later one.
      expect(alert.opened_at.getTime() - askedAt).toBeLessThan(5_000);
      expect(alert).toMatchObject({ status: 'open', severity: 'high' });
      expect(alert.title).toBe(`${source.name}: polling stopped, the Atlassian API rejected the API key`);
      expect(alert.message).toMatch(/expired or was revoked/);
      expect(alert.message).toContain(`atlassian-audit rotate-key ${source.name}`);
      expect(alert.message).not.toContain(doomedKey);
      await eventually(async () => noticesAbout(receiver.at(path), alert.id), (n) => n.length === 1, 10_000);
      await eventually(() => alertOpenAttribute(handle), (open) => open === true, 10_000);
      expect((await handle.query(statusQuery)).phase).toBe('failed');

      await updateSource(db, source.id, { apiKeyCiphertext: testCipher.seal(org.keys.valid, apiKeyContext(source.id)) });
      await handle.signal(keyRotatedSignal);
      const [resolved] = await eventually(() => alertsOf(db, source.id, 'credentials'), (a) => a[0].status === 'resolved', 10_000);
      expect(resolved.resolution).toBe('Polling works again: the API accepted the source.');
      await eventually(async () => noticesAbout(receiver.at(path), alert.id), (n) => n.length === 2, 10_000);
      await eventually(() => alertOpenAttribute(handle), (open) => open === false, 10_000);
      expect(JSON.stringify(receiver.at(path).map((r) => r.body))).not.toContain(doomedKey);
      await handle.terminate('test done');
    });
  });

  it('switches the silence alarm off and on and changes its window while the source runs; a paused source stays quiet', async () => {
    const org = simulator.orgs[1];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 60, silenceWindowSeconds: 3600 });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      await eventually(() => watchdogView(client, source.name), (v) => v.windowSeconds === 3600 && v.deadline !== null);

      // Out-of-range values are refused by the workflow's validator, before anything changes.
      for (const change of [{ windowSeconds: 0 }, { windowSeconds: 31 * 86_400 }, {}]) {
        await expect(handle.executeUpdate(setSilenceAlarmUpdate, { args: [change] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      }

      // A shorter window applies to the running deadline at once (below 15 minutes only when the caller asks, as the
      // CLI does under AUDIT_ALLOW_SHORT_WINDOWS=1).
      await expect(handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ windowSeconds: 2 }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      expect(await handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ windowSeconds: 2, allowShortWindow: true }] })).toEqual({ enabled: true, windowSeconds: 3600 });
      const [first] = await eventually(() => alertsOf(db, source.id, 'silence'), (a) => a.length === 1, 10_000, 100);

      // Off: the watchdog resolves its alert and ends.
      expect(await handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ enabled: false }] })).toEqual({ enabled: true, windowSeconds: 2 });
      await eventually(async () => (await watchdogOf(client, source.name).describe()).status.name, (s) => s === 'COMPLETED', 10_000);
      expect((await alertsOf(db, source.id, 'silence'))[0]).toMatchObject({ id: first.id, status: 'resolved', resolution: 'The silence alarm was switched off.' });

      // A paused source is quiet on purpose: switched on again, the alarm waits while it stays paused.
      await handle.signal(pauseSignal, 'maintenance');
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'paused');
      await handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ enabled: true }] });
      await eventually(async () => (await watchdogOf(client, source.name).describe()).status.name, (s) => s === 'RUNNING', 10_000);
      await sleep(4_000);
      expect(await alertsOf(db, source.id, 'silence')).toHaveLength(1);

      // Stopped for removal: the alarm ends with the source.
      await handle.signal(stopSignal);
      await handle.result();
      await eventually(async () => (await watchdogOf(client, source.name).describe()).status.name, (s) => s === 'COMPLETED', 10_000);
    });
  });

  it("shows any open alert of the source in its AlertOpen search attribute, also one opened outside the workflows", async () => {
    const org = simulator.orgs[1];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 60 });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      await ensureAlertDispatcher(client.connection, client.options.namespace, taskQueue);
      const dispatcher = client.workflow.getHandle(alertDispatcherWorkflowId(taskQueue));

      // As the detection engine does inside the ingest transaction: no workflow is told directly.
      const detection = { sourceId: source.id, kind: 'detection' as const, dedupKey: 'rule:1', severity: 'medium' as const, title: 'a rule matched', message: 'm' };
      await db.withTransaction((tx) => openAlert(tx, detection));
      await dispatcher.signal(wakeDispatcherSignal);
      await eventually(() => alertOpenAttribute(handle), (open) => open === true, 10_000);

      await resolveAlert(db.pool, { sourceId: source.id, kind: 'detection', dedupKey: 'rule:1', message: 'handled' });
      await dispatcher.signal(wakeDispatcherSignal);
      await eventually(() => alertOpenAttribute(handle), (open) => open === false, 10_000);
      await handle.terminate('test done');
      await dispatcher.terminate('test done');
    });
  });

  it('warns 7 days and 1 day before a known key expiry, once each, and resolves when the key is replaced', async () => {
    const { checkKeyExpiries } = testActivities(db);
    const source = await createTestSource(db, { organizationId: 'org', apiKey: 'k', apiBaseUrl: 'http://127.0.0.1:9' });
    const expiry = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);

    await updateSource(db, source.id, { apiKeyExpiresAt: expiry(10 * DAY_MS) });
    await checkKeyExpiries();
    expect(await alertsOf(db, source.id, 'key_expiry')).toEqual([]);

    const first = expiry(5 * DAY_MS);
    await updateSource(db, source.id, { apiKeyExpiresAt: first });
    await checkKeyExpiries();
    await checkKeyExpiries();
    const [weekAhead] = await alertsOf(db, source.id, 'key_expiry');
    expect(await alertsOf(db, source.id, 'key_expiry')).toHaveLength(1);
    expect(weekAhead).toMatchObject({ status: 'open', severity: 'medium', dedup_key: `${first.toISOString()}:7d`, title: `${source.name}: the API key expires within 7 days` });
    expect(weekAhead.message).toContain(`rotate-key ${source.name} --key-expires`);

    // A new key with hours to live: the old warning ends, one urgent warning for the new date.
    const second = expiry(20 * 3600_000);
    await updateSource(db, source.id, { apiKeyExpiresAt: second });
    await checkKeyExpiries();
    const [old, dayAhead, ...more] = await alertsOf(db, source.id, 'key_expiry');
    expect(more).toEqual([]);
    expect(old).toMatchObject({ id: weekAhead.id, status: 'resolved', resolution: 'The API key was replaced.' });
    expect(dayAhead).toMatchObject({ status: 'open', severity: 'high', dedup_key: `${second.toISOString()}:1d`, title: `${source.name}: the API key expires within a day` });

    await updateSource(db, source.id, { apiKeyExpiresAt: null });
    await checkKeyExpiries();
    expect((await alertsOf(db, source.id, 'key_expiry')).map((a) => a.status)).toEqual(['resolved', 'resolved']);
  });
});
