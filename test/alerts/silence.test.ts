import type { Database } from '../../store/database';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import type { RunningSimulator } from '../../simulator/server';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { eventsPersistedSignal } from '../../contract/alert-messages';
import { createTestSource, eventually, testActivities } from '../../harness/sources';
import { replayWithTestBundle, withWorker } from '../../harness/worker';
import { alertOpenAttribute, alertsOf, keepEventsFlowing, lastEventPersistedAt, noticesAbout, routeAlertsTo, sleep, useAlertFixture, watchdogView } from './alert-test-kit';
import { WebhookReceiver } from '../../harness/webhook-receiver';

const WINDOW_S = 5;
const INTERVAL_S = 10;

describe('silence alarm', () => {
  let simulator: RunningSimulator;
  let db: Database;
  let receiver: WebhookReceiver;
  useAlertFixture({ seed: 51, orgs: [{}], history: { count: 50, spanMs: 3600_000 } }, (fixture) => ({ simulator, db, receiver } = fixture));

  it('stays quiet while events flow; once the organization is quiet, one alert, delivered; events resolve it', async () => {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, {
      organizationId: org.id,
      apiKey: org.keys.valid,
      apiBaseUrl: simulator.url,
      pollIntervalSeconds: INTERVAL_S,
      silenceWindowSeconds: WINDOW_S,
    });
    const path = await routeAlertsTo(db, source.id, receiver.url);
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');

      // Three windows with an event every 1.5 s: the window keeps restarting, nothing alerts.
      const quietSince = await keepEventsFlowing(simulator, org.id, handle, 3 * WINDOW_S * 1000, 2);
      expect(await alertsOf(db, source.id)).toEqual([]);
      const view = await watchdogView(client, source.name);
      expect(view).toMatchObject({ windowSeconds: WINDOW_S, alertOpen: false });
      expect(Date.parse(view.deadline!)).toBeGreaterThan(Date.now());

      // Quiet from now on: one alert between the window and the window plus a poll interval plus 5 s.
      const [alert] = await eventually(() => alertsOf(db, source.id), (a) => a.length > 0, 30_000, 100);
      const lastPersisted = (await lastEventPersistedAt(db, source.id))!;
      expect(alert).toMatchObject({ kind: 'silence', status: 'open', severity: 'high' });
      expect(alert.opened_at.getTime() - lastPersisted.getTime()).toBeGreaterThanOrEqual(WINDOW_S * 1000);
      expect(alert.opened_at.getTime() - quietSince).toBeGreaterThanOrEqual(WINDOW_S * 1000);
      expect(alert.opened_at.getTime() - quietSince).toBeLessThanOrEqual((WINDOW_S + INTERVAL_S + 5) * 1000);
      expect(alert.message).not.toContain(org.keys.valid);
      await eventually(async () => noticesAbout(receiver.at(path), alert.id), (n) => n.length === 1, 10_000);
      expect(receiver.at(path)[0].body).toMatchObject({ notice: 'opened', alert: { kind: 'silence', source: { name: source.name }, status: 'open' } });
      await eventually(() => alertOpenAttribute(handle), (open) => open === true, 10_000);
      expect(await watchdogView(client, source.name)).toMatchObject({ alertOpen: true, deadline: null });

      // A regular poll with nothing new passes; still one alert, one notice.
      await sleep((INTERVAL_S - WINDOW_S + 2) * 1000);
      expect(await alertsOf(db, source.id)).toHaveLength(1);
      expect(noticesAbout(receiver.at(path), alert.id)).toEqual(['opened']);

      simulator.addEvents(org.id, { count: 3 });
      await handle.signal(pollNowSignal);
      const [resolved] = await eventually(() => alertsOf(db, source.id), (a) => a[0].status === 'resolved', 10_000);
      expect(resolved.resolution).toMatch(/^Events flow again/);
      await eventually(async () => noticesAbout(receiver.at(path), alert.id), (n) => n.length === 2, 10_000);
      expect(noticesAbout(receiver.at(path), alert.id)).toEqual(['opened', 'resolved']);
      await eventually(() => alertOpenAttribute(handle), (open) => open === false, 10_000);
      await handle.terminate('test done');
    });
  });

  it('hears of steady events only every quarter window, and still alerts a full window after the last one', async () => {
    const windowS = 20; // the watchdog is told at most every 5 s; events come every 1.5 s
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: INTERVAL_S, silenceWindowSeconds: windowS });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      const ingestedBefore = (await handle.query(statusQuery)).eventsIngested;

      const quietSince = await keepEventsFlowing(simulator, org.id, handle, 12_000);
      await eventually(() => handle.query(statusQuery), (s) => s.eventsIngested - ingestedBefore >= 8);
      const { events } = await handle.fetchHistory();
      const told = (events ?? []).filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === eventsPersistedSignal.name);
      // The backfill and 8 polls stored events, over 12 s and more: each word comes no sooner than 5 s after the last.
      expect(told.length).toBeGreaterThanOrEqual(2);
      expect(told.length).toBeLessThanOrEqual(4);
      // Whether to tell is decided from workflow time, so the words skipped replay as they ran.
      await replayWithTestBundle({ events }, handle.workflowId);

      // The watchdog heard of the last events up to 5 s late; PostgreSQL knew, so the alert waits a full window.
      const [alert] = await eventually(() => alertsOf(db, source.id), (a) => a.length > 0, 60_000, 100);
      const lastPersisted = (await lastEventPersistedAt(db, source.id))!;
      expect(alert.opened_at.getTime() - lastPersisted.getTime()).toBeGreaterThanOrEqual(windowS * 1000);
      expect(alert.opened_at.getTime() - quietSince).toBeLessThanOrEqual((windowS + INTERVAL_S + 5) * 1000);
      await handle.terminate('test done');
    });
  });
});
