import { apiKeyContext } from '../../store/credentials';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '../../store/database';
import { updateSource } from '../../store/sources';
import { startSimulator } from '../../harness/simulator';
import { setSilenceAlarmUpdate } from '../../contract/alert-messages';
import { sourceWorkflowId } from '../../contract/ids';
import { keyRotatedSignal, pauseSignal, pollNowSignal, resumeSignal, setIntervalUpdate, statusQuery, stopSignal } from '../../contract/source-messages';
import { sourceWorkflow } from '../../workflows/source-workflow';
import { startTestStack, stopTestStack } from '../../harness/test-stack';
import { createTestSource, eventually, openTestDatabase, testActivities, testCipher } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { ensureAlertDispatcher } from '../../workers/alert-dispatcher';
import { outputWorkflow } from '../../workflows/output-workflow';
import { storeMaintenanceWorkflow } from '../../workflows/store-maintenance';
import { pauseOutputSignal, resumeOutputSignal, stopOutputSignal, wakeOutputSignal } from '../../contract/output-messages';
import { HttpReceiver } from '../../harness/http-receiver';
import { createHttpOutput } from '../../harness/http-output';
import { currentRelease } from '../../harness/releases';
import { PATCH_RELEASES } from '../../workflows/patches';
import { storeEvents } from '../outputs/stored-rows';
import { RECORDED_OUTPUT, RECORDED_SOURCE, RECORDED_TASK_QUEUE, recordedWorkflowIds } from './recorded-source';

// Records real histories of every workflow type for the replay test, on a stack of its own, into the folder of the
// release whose code runs them (package.json's version unless given). Run it when a release is cut; the folders of
// the releases still supported stay and keep replaying:
//   npx tsx test/replay/record-histories.ts [v<major>.<minor>.<patch>]
// Each history is one run of one workflow. The source goes through a backfill of several cycles, polling, pause/resume,
// interval and alarm updates, continue-as-new, a rejected key and its rotation, the silence alarm opening and
// resolving, and a graceful stop; its watchdog, on the watchdogs' queue, through the alarm and continue-as-new; the
// alert dispatcher through the alerts' delivery; the output through forwarding, pause/resume, continue-as-new and
// stop, those messages during its run's last round; the store maintenance through one whole run.

const release = process.argv[2] ?? currentRelease();
const OUT = path.join(__dirname, 'histories', release);

async function main(): Promise<void> {
  if (!/^v\d+\.\d+\.\d+$/.test(release)) throw new Error(`usage: record-histories.ts [release], a release such as v1.2.3 (not '${release}')`);
  if (existsSync(OUT)) throw new Error(`${OUT} exists: a release's recordings are kept as they are`);
  await startTestStack();
  // Pages of 10 events: the backfill takes more pages than a cycle asks for (MAX_PAGES_PER_CYCLE), so its cycles end on
  // the betweenCycles activity, as a real backfill's do, in a run of a few seconds.
  const simulator = await startSimulator({ seed: 61, orgs: [{}], history: { count: 1_200, spanMs: 3600_000 }, maxPageSize: 10 });
  const receiver = await HttpReceiver.start();
  const db = openTestDatabase();
  try {
    const org = simulator.orgs[0];
    const key = simulator.addKey(org.id, 'valid');
    const source = await createTestSource(db, { name: RECORDED_SOURCE, organizationId: org.id, apiKey: key, apiBaseUrl: simulator.url, silenceWindowSeconds: 3 });
    const output = await createHttpOutput(db, receiver, { name: RECORDED_OUTPUT });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      await ensureAlertDispatcher(client.connection, client.options.namespace, taskQueue);
      const forwarding = await client.workflow.start(outputWorkflow, {
        workflowId: recordedWorkflowIds['output-workflow'],
        taskQueue,
        // Two rounds a run: an output that waits has its run's last round ahead of it.
        args: [{ outputId: output.id, outputName: output.name, maxRoundsPerRun: 2 }],
      });
      const handle = await client.workflow.start(sourceWorkflow, {
        workflowId: sourceWorkflowId(source.name),
        taskQueue,
        // A watchdog continues-as-new on the watchdogs' queue after its few wake-ups; fewer here, so that it does.
        args: [{ sourceId: source.id, sourceName: source.name, organizationId: source.organizationId, maxCyclesPerRun: 3, watchdogMaxWakeupsPerRun: 3 }],
      });
      const waiting = () => eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting', 30_000);
      // A poll-now finds the source waiting already, and its query can answer before the signal is handled: waiting
      // alone may then return before the poll, and the stop below would end the source with events never stored.
      const polledAll = () => eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting' && s.eventsIngested === simulator.eventIds(org.id).length, 30_000);
      await polledAll();
      await eventually(() => openSilenceAlerts(db, source.id), (open) => open === 1, 30_000);
      simulator.addEvents(org.id, { count: 5 });
      await handle.signal(pollNowSignal); // and resolves
      await polledAll();
      await handle.executeUpdate(setIntervalUpdate, { args: [20] });
      await handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ windowSeconds: 4, allowShortWindow: true }] });
      await handle.signal(pauseSignal, 'recording');
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'paused');
      await handle.signal(resumeSignal);
      await waiting();
      simulator.expireKey(key);
      await handle.signal(pollNowSignal);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'failed');
      await updateSource(db, source.id, { apiKeyCiphertext: testCipher.seal(org.keys.valid, apiKeyContext(source.id)) });
      await handle.signal(keyRotatedSignal);
      await waiting();
      for (let i = 0; i < 3; i++) {
        simulator.addEvents(org.id, { count: 3 });
        await handle.signal(pollNowSignal);
        await polledAll();
      }
      await handle.signal(stopSignal);
      await handle.result();
      await eventually(async () => new Set(receiver.accepted().map((record) => record.id)).size, (n) => n === simulator.eventIds(org.id).length, 60_000);
      // The output's messages come during the last round of its run, whose send the receiver refuses until they are in:
      // they are applied before the run would continue-as-new (OUTPUT_MESSAGES_BEFORE_NEW_RUN).
      await eventually(() => isWaiting(forwarding), (waits) => waits, 30_000);
      receiver.status = 503;
      await storeEvents(db, source, 1);
      await forwarding.signal(wakeOutputSignal);
      await eventually(async () => receiver.received.some((batch) => batch.status === 503), (refused) => refused, 30_000);
      await forwarding.signal(pauseOutputSignal, 'recording');
      await forwarding.signal(resumeOutputSignal);
      await forwarding.signal(stopOutputSignal);
      receiver.status = 200;
      await forwarding.result();
      await client.workflow.execute(storeMaintenanceWorkflow, { workflowId: recordedWorkflowIds['store-maintenance'], taskQueue, args: [{}] });
      const dispatcher = client.workflow.getHandle(recordedWorkflowIds['alert-dispatcher']);
      await dispatcher.terminate('recording done');
      mkdirSync(OUT, { recursive: true });
      const recordedPatches = new Set<string>();
      for (const [prefix, workflowId] of Object.entries(recordedWorkflowIds)) for (const id of await saveAllRuns(client, workflowId, prefix)) recordedPatches.add(id);
      // Only a path a recording took is checked by the replay test; some depend on timing (a message during a run's last round).
      const missed = Object.keys(PATCH_RELEASES).filter((id) => PATCH_RELEASES[id].introducedIn === release && !recordedPatches.has(id));
      console.log(missed.length === 0 ? `every patch of ${release} is recorded` : `not recorded, so not checked by the replay test: ${missed.join(', ')}`);
    }, { taskQueue: RECORDED_TASK_QUEUE });
  } finally {
    await db.close();
    await receiver.close();
    await simulator.close();
    await stopTestStack();
  }
}

/** Whether the workflow's latest run waits on its timer, its latest event. */
async function isWaiting(handle: WorkflowHandle): Promise<boolean> {
  const { events } = await handle.fetchHistory();
  return events?.at(-1)?.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED;
}

async function openSilenceAlerts(db: Database, sourceId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM alerts WHERE source_id = $1 AND kind = 'silence' AND status = 'open'", [sourceId]);
  return Number(rows[0].n);
}

/** Saves every run of the workflow; returns the patch ids their histories hold markers of. */
async function saveAllRuns(client: Client, workflowId: string, prefix: string): Promise<string[]> {
  const patches: string[] = [];
  const runs: string[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run.runId);
  for (const [index, runId] of runs.reverse().entries()) {
    // Binary protobuf: the SDK's JSON reader trips over the two protobufjs copies that npm installs for it.
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    writeFileSync(path.join(OUT, `${prefix}-run-${index + 1}.binpb`), temporal.api.history.v1.History.encode(history).finish());
    patches.push(...patchMarkers(history));
  }
  console.log(`${prefix}: ${runs.length} run(s) saved`);
  return patches;
}

/** The ids of the patch markers in a history (the SDK's core_patch markers, their id in the patch-data payload). */
function patchMarkers(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap(({ markerRecordedEventAttributes: marker }) => {
    const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
