import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { silenceSettingsSignal } from '../../contract/alert-messages';
import { silenceWatchdogWorkflowId, sourceWorkflowId } from '../../contract/ids';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import type { RunningSimulator } from '../../simulator/server';
import type { Database } from '../../store/database';
import { sourceWorkflow } from '../../workflows/source-workflow';
import { useSimulatorAndDatabase } from '../../harness/fixtures';
import { createTestSource, eventually, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';

const EventType = temporal.api.enums.v1.EventType;

// A source continues-as-new every few dozen idle polls. The continued run carries its settings and the status it
// stored, so it starts quietly: no status activity, no word to its silence watchdog (which would wake it and, on the
// watchdogs' queue, have it replay its run). It still starts a watchdog when none runs.

describe('a continued source run', () => {
  let simulator: RunningSimulator;
  let db: Database;
  useSimulatorAndDatabase({ seed: 61, orgs: [{}], history: { count: 5, spanMs: 3600_000 } }, (fixture) => ({ simulator, db } = fixture));

  it('records no status and tells a running watchdog nothing; it starts one when none runs', async () => {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 3600 });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      // Two cycles a run: each poll-now after the first cycle ends a run.
      const handle = await client.workflow.start(sourceWorkflow, {
        workflowId: sourceWorkflowId(source.name),
        taskQueue,
        args: [{ sourceId: source.id, sourceName: source.name, organizationId: source.organizationId, maxCyclesPerRun: 2 }],
      });
      const watchdog = client.workflow.getHandle(silenceWatchdogWorkflowId(sourceWorkflowId(source.name)));
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting' && s.backfill.completed);
      const firstRun = await eventsOf(client, handle);
      expect(count(firstRun, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBeGreaterThan(0); // its status, stored once

      const secondRunId = await continueAsNew(handle);
      const secondRun = await eventsOf(client, handle, secondRunId);
      expect(count(secondRun, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)).toBe(1); // the watchdog runs
      expect(count(secondRun, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)).toBe(0);
      expect(count(secondRun, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(0);
      const signals = (await eventsOf(client, watchdog)).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean);
      expect(signals).not.toContain(silenceSettingsSignal.name);
      expect(await handle.query(statusQuery)).toMatchObject({ phase: 'waiting' });

      // A watchdog gone (terminated by hand): the next run starts one.
      await watchdog.terminate('test: the watchdog is gone');
      const thirdRunId = await continueAsNew(handle);
      expect(count(await eventsOf(client, handle, thirdRunId), EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)).toBe(1);
      await eventually(() => watchdog.describe(), (d) => d.status.name === 'RUNNING');
      await watchdog.terminate('test done');
      await handle.terminate('test done');
    });
  });
});

/** Two polls end a run of maxCyclesPerRun 2; returns the id of the run that follows, once it waits for its next poll. */
async function continueAsNew(handle: WorkflowHandle): Promise<string> {
  const { runId } = await handle.describe();
  for (let poll = 0; poll < 2; poll++) {
    const { pagesFetched } = await handle.query(statusQuery);
    await handle.signal(pollNowSignal);
    await eventually(() => handle.query(statusQuery), (s) => s.pagesFetched > pagesFetched || s.phase === 'starting');
  }
  const next = await eventually(() => handle.describe(), (d) => d.runId !== runId);
  await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
  return next.runId;
}

async function eventsOf(client: Client, handle: WorkflowHandle, runId?: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const history = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
  return history.events ?? [];
}

const count = (events: temporal.api.history.v1.IHistoryEvent[], type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
