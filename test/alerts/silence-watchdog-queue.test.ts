import type { Client } from '@temporalio/client';
import type { Database } from '../../store/database';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import type { RunningSimulator } from '../../simulator/server';
import { eventsPersistedSignal, silenceWatchdogQuery } from '../../contract/alert-messages';
import { silenceWatchdogWorkflowId, sourceWorkflowId } from '../../contract/ids';
import { statusQuery } from '../../contract/source-messages';
import { watchdogTaskQueue } from '../../contract/task-queues';
import { silenceWatchdogWorkflow } from '../../workflows/silence-watchdog';
import { MAX_WAKEUPS_PER_RUN_ON_WATCHDOG_QUEUE } from '../../workflows/silence-watchdog-controller';
import { createTestSource, eventually, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { useAlertFixture } from './alert-test-kit';

// The silence watchdogs run on a task queue of their own, whose poller caches few workflows (contract/task-queues.ts).

describe("the silence watchdogs' task queue", () => {
  let simulator: RunningSimulator;
  let db: Database;
  useAlertFixture({ seed: 53, orgs: [{}, {}, {}], history: { count: 5, spanMs: 3600_000 } }, (fixture) => ({ simulator, db } = fixture));

  const sourceOn = (orgIndex: number) => {
    const org = simulator.orgs[orgIndex];
    return createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 60, silenceWindowSeconds: 3600 });
  };

  /** The task queue of each run of a workflow, oldest first. */
  async function queuesOfRuns(client: Client, workflowId: string): Promise<string[]> {
    const runs: { startTime: Date; taskQueue: string }[] = [];
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run);
    return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((run) => run.taskQueue);
  }

  it("is where a source starts its watchdog, which then answers from there", async () => {
    const source = await sourceOn(0);
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting' && s.backfill.completed);
      const watchdogId = silenceWatchdogWorkflowId(sourceWorkflowId(source.name));
      expect((await client.workflow.getHandle(watchdogId).describe()).taskQueue).toBe(watchdogTaskQueue(taskQueue));
      expect(await client.workflow.getHandle(watchdogId).query(silenceWatchdogQuery)).toMatchObject({ alertOpen: false });
      await handle.terminate('test done');
    });
  });

  it("takes over, at its next continue-as-new, a watchdog that an earlier release started on its source's queue", async () => {
    const source = await sourceOn(1);
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      // As a source of an earlier release started it: on the source's own queue. One wake-up ends its run.
      const watchdogId = silenceWatchdogWorkflowId(sourceWorkflowId(source.name));
      const watchdog = await client.workflow.start(silenceWatchdogWorkflow, {
        workflowId: watchdogId,
        taskQueue,
        args: [{ sourceId: source.id, sourceName: source.name, sourceWorkflowId: sourceWorkflowId(source.name), windowSeconds: 3600, maxWakeupsPerRun: 1 }],
      });
      await eventually(() => watchdog.query(silenceWatchdogQuery), (view) => view.deadline !== null);
      await watchdog.signal(eventsPersistedSignal, { at: new Date().toISOString() });

      const queues = await eventually(() => queuesOfRuns(client, watchdogId), (runs) => runs.length === 2);
      expect(queues).toEqual([taskQueue, watchdogTaskQueue(taskQueue)]);
      // The new run is polled there: it answers, with the deadline the signal moved.
      const view = await eventually(() => client.workflow.getHandle(watchdogId).query(silenceWatchdogQuery), (v) => v.deadline !== null);
      expect(view.alertOpen).toBe(false);
      await client.workflow.getHandle(watchdogId).terminate('test done');
    });
  });

  it('continues-as-new there after a few wake-ups, since each wake replays the run, and carries what it knows', async () => {
    const source = await sourceOn(2);
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const watchdogId = silenceWatchdogWorkflowId(sourceWorkflowId(source.name));
      const watchdog = await client.workflow.start(silenceWatchdogWorkflow, {
        workflowId: watchdogId,
        taskQueue: watchdogTaskQueue(taskQueue),
        args: [{ sourceId: source.id, sourceName: source.name, sourceWorkflowId: sourceWorkflowId(source.name), windowSeconds: 3600 }],
      });
      await eventually(() => watchdog.query(silenceWatchdogQuery), (view) => view.deadline !== null);
      // One word of events at a time, each seen before the next is sent, so that each is a wake-up of its own.
      const firstNews = Date.now();
      let at = '';
      for (let wake = 1; wake <= MAX_WAKEUPS_PER_RUN_ON_WATCHDOG_QUEUE; wake++) {
        at = new Date(firstNews + wake * 1000).toISOString();
        await watchdog.signal(eventsPersistedSignal, { at });
        await eventually(() => client.workflow.getHandle(watchdogId).query(silenceWatchdogQuery), (view) => view.lastEventAt === at);
      }

      const queues = await eventually(() => queuesOfRuns(client, watchdogId), (runs) => runs.length === 2);
      expect(queues).toEqual([watchdogTaskQueue(taskQueue), watchdogTaskQueue(taskQueue)]);
      const view = await eventually(() => client.workflow.getHandle(watchdogId).query(silenceWatchdogQuery), (v) => v.deadline !== null);
      expect(view).toMatchObject({ alertOpen: false, lastEventAt: at, deadline: new Date(Date.parse(at) + 3600_000).toISOString() });
      await client.workflow.getHandle(watchdogId).terminate('test done');
    });
  });
});
