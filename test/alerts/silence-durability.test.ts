import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import type { Database } from '../../store/database';
import type { SourceRecord } from '../../store/sources';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import type { RunningSimulator } from '../../simulator/server';
import { silenceWatchdogWorkflowId, sourceWorkflowId } from '../../contract/ids';
import { silenceWatchdogQuery } from '../../contract/alert-messages';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { sourceWorkflow } from '../../workflows/source-workflow';
import { env, requiredEnv } from '../../harness/env';
import { createTestSource, eventually, testActivities } from '../../harness/sources';
import { startTestTemporal, stopProcessGroup, temporalPidFile } from '../../harness/temporal';
import { connectClient, withWorker } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';
import { alertsOf, keepEventsFlowing, lastEventPersistedAt, noticesAbout, routeAlertsTo, runIdsOf, useAlertFixture } from './alert-test-kit';
import { WebhookReceiver } from '../../harness/webhook-receiver';

const INTERVAL_S = 10;

describe('one alert per silence, whatever happens to the workflows, the worker or the server', () => {
  let simulator: RunningSimulator;
  let db: Database;
  let receiver: WebhookReceiver;
  useAlertFixture({ seed: 52, orgs: [{}, {}, {}], history: { count: 40, spanMs: 3600_000 } }, (fixture) => ({ simulator, db, receiver } = fixture));

  async function quietSource(orgIndex: number, windowSeconds: number): Promise<{ source: SourceRecord; path: string }> {
    const org = simulator.orgs[orgIndex];
    const source = await createTestSource(db, {
      organizationId: org.id,
      apiKey: org.keys.valid,
      apiBaseUrl: simulator.url,
      pollIntervalSeconds: INTERVAL_S,
      silenceWindowSeconds: windowSeconds,
    });
    return { source, path: await routeAlertsTo(db, source.id, receiver.url) };
  }

  /** One alert, opened no sooner than the window after `quietSince` and no later than a poll interval plus 5 s after that. */
  async function expectOneTimelyAlert(source: SourceRecord, path: string, quietSince: number, windowSeconds: number, timeoutMs: number) {
    const [alert] = await eventually(() => alertsOf(db, source.id), (a) => a.length > 0, timeoutMs, 200);
    const lastPersisted = (await lastEventPersistedAt(db, source.id))!.getTime();
    expect(alert).toMatchObject({ kind: 'silence', status: 'open' });
    expect(alert.opened_at.getTime() - lastPersisted).toBeGreaterThanOrEqual(windowSeconds * 1000);
    expect(alert.opened_at.getTime() - quietSince).toBeGreaterThanOrEqual(windowSeconds * 1000);
    expect(alert.opened_at.getTime() - quietSince).toBeLessThanOrEqual((windowSeconds + INTERVAL_S + 5) * 1000);
    await eventually(async () => noticesAbout(receiver.at(path), alert.id), (n) => n.length === 1, 20_000);
    return alert;
  }

  /**
   * Still exactly one alert once the watchdog holds it as open (from then on it opens none); then events resolve it
   * and the resolution is delivered once.
   */
  async function expectNoDuplicateThenResolution(handle: WorkflowHandle, source: SourceRecord, path: string, alertId: number, orgIndex: number) {
    const watchdog = handle.client.getHandle(silenceWatchdogWorkflowId(sourceWorkflowId(source.name)));
    await eventually(() => watchdog.query(silenceWatchdogQuery), (view) => view.alertOpen && view.deadline === null);
    expect(await alertsOf(db, source.id)).toHaveLength(1);
    simulator.addEvents(simulator.orgs[orgIndex].id, { count: 2 });
    await handle.signal(pollNowSignal);
    await eventually(() => alertsOf(db, source.id), (a) => a.length === 1 && a[0].status === 'resolved', 20_000, 200);
    await eventually(async () => noticesAbout(receiver.at(path), alertId), (n) => n.length === 2, 20_000);
    expect(noticesAbout(receiver.at(path), alertId)).toEqual(['opened', 'resolved']);
  }

  it('holds while the source workflow and the watchdog continue-as-new, during the flow and during the silence', async () => {
    const windowSeconds = 6;
    const { source, path } = await quietSource(0, windowSeconds);
    const org = simulator.orgs[0];
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      // Two cycles per source run and one wake-up per watchdog run: every poll-now below ends runs of both.
      const handle = await client.workflow.start(sourceWorkflow, {
        workflowId: sourceWorkflowId(source.name),
        taskQueue,
        args: [{ sourceId: source.id, sourceName: source.name, organizationId: source.organizationId, maxCyclesPerRun: 2, watchdogMaxWakeupsPerRun: 1 }],
      });
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting' && s.backfill.completed);

      const quietSince = await keepEventsFlowing(simulator, org.id, handle, 2 * windowSeconds * 1000);
      expect(await alertsOf(db, source.id)).toEqual([]);
      const runsBeforeSilence = (await runIdsOf(client, sourceWorkflowId(source.name))).length;

      // Silence, with more continue-as-new of both inside the window.
      await pollNowAndWait(handle);
      await pollNowAndWait(handle);
      const alert = await expectOneTimelyAlert(source, path, quietSince, windowSeconds, 30_000);
      expect((await runIdsOf(client, sourceWorkflowId(source.name))).length).toBeGreaterThan(runsBeforeSilence);
      expect((await runIdsOf(client, silenceWatchdogWorkflowId(sourceWorkflowId(source.name)))).length).toBeGreaterThan(3);

      // And after the alert: the next runs find it open and raise no second one.
      await pollNowAndWait(handle);
      await pollNowAndWait(handle);
      await expectNoDuplicateThenResolution(handle, source, path, alert.id, 0);
      await handle.terminate('test done');
    });
  });

  it('holds when the worker is killed and restarted during the window', async () => {
    const windowSeconds = 8;
    const { source, path } = await quietSource(1, windowSeconds);
    const taskQueue = `alerts-kill-${randomUUID()}`;
    const client = await connectClient();
    let worker = new WorkerProcess(taskQueue);
    try {
      await worker.ready();
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      const quietSince = (await lastEventPersistedAt(db, source.id))!.getTime();

      // kill() returns once the process is gone: the new worker is the only one on the queue.
      await worker.kill();
      worker = new WorkerProcess(taskQueue);
      await worker.ready();
      expect(Date.now() - quietSince).toBeLessThan(windowSeconds * 1000);

      const alert = await expectOneTimelyAlert(source, path, quietSince, windowSeconds, 40_000);
      await expectNoDuplicateThenResolution(handle, source, path, alert.id, 1);
      await handle.terminate('test done');
    } finally {
      await worker.stop();
      await client.connection.close();
    }
  });

  it('holds when the Temporal server restarts during the window', async () => {
    const windowSeconds = 10;
    const { source, path } = await quietSource(2, windowSeconds);
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      const quietSince = (await lastEventPersistedAt(db, source.id))!.getTime();

      await restartTemporal();
      expect(Date.now() - quietSince).toBeLessThan(windowSeconds * 1000);

      const alert = await expectOneTimelyAlert(source, path, quietSince, windowSeconds, 60_000);
      await expectNoDuplicateThenResolution(handle, source, path, alert.id, 2);
      await handle.terminate('test done');
    });
  });
});

/** Asks for a poll and returns once it was made: each one is a cycle, so two of them end a run of maxCyclesPerRun: 2. */
async function pollNowAndWait(handle: WorkflowHandle): Promise<void> {
  const { pagesFetched } = await handle.query(statusQuery);
  await handle.signal(pollNowSignal);
  await eventually(() => handle.query(statusQuery), (s) => s.pagesFetched > pagesFetched);
}

/** Stops the run's dev server and starts it again on the same port and database file; the pid file follows. */
async function restartTemporal(): Promise<void> {
  const runDir = requiredEnv(env.runDir);
  const pidBefore = Number(readFileSync(temporalPidFile(runDir), 'utf8'));
  await stopProcessGroup(pidBefore);
  await startTestTemporal(runDir, requiredEnv(env.temporalCli), Number(requiredEnv(env.temporalPort)));
  expect(Number(readFileSync(temporalPidFile(runDir), 'utf8'))).not.toBe(pidBefore);
}
