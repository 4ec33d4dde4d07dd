import { apiKeyContext } from '../../store/credentials';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
import { RECORDED_SOURCE, RECORDED_TASK_QUEUE, recordedWorkflowIds } from './recorded-source';

// Records real histories of the source, watchdog and dispatcher workflows for the replay test, on a stack of its own.
// Run it after a deliberate change of workflow code, into a new folder; the older recordings stay and keep replaying:
//   npx tsx test/replay/record-histories.ts <recording-name>
// Each history is one run of one workflow, through backfill, polling, pause/resume, interval and alarm updates,
// continue-as-new, a rejected key and its rotation, the silence alarm opening and resolving, alert delivery rounds,
// and a graceful stop.

const recording = process.argv[2] ?? '';
const OUT = path.join(__dirname, 'histories', recording);

async function main(): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(recording)) throw new Error('usage: record-histories.ts <recording-name> (lowercase letters, digits and dashes)');
  if (existsSync(OUT)) throw new Error(`${OUT} exists: recordings are kept as they are, choose a new name`);
  await startTestStack();
  const simulator = await startSimulator({ seed: 61, orgs: [{}], history: { count: 1_200, spanMs: 3600_000 } });
  const db = openTestDatabase();
  try {
    const org = simulator.orgs[0];
    const key = simulator.addKey(org.id, 'valid');
    const source = await createTestSource(db, { name: RECORDED_SOURCE, organizationId: org.id, apiKey: key, apiBaseUrl: simulator.url, silenceWindowSeconds: 3 });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      await ensureAlertDispatcher(client.connection, client.options.namespace, taskQueue);
      const handle = await client.workflow.start(sourceWorkflow, {
        workflowId: sourceWorkflowId(source.name),
        taskQueue,
        args: [{ sourceId: source.id, sourceName: source.name, organizationId: source.organizationId, maxCyclesPerRun: 3 }],
      });
      const waiting = () => eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting', 30_000);
      await waiting();
      await new Promise((r) => setTimeout(r, 4_000)); // the silence alarm opens
      simulator.addEvents(org.id, { count: 5 });
      await handle.signal(pollNowSignal); // and resolves
      await waiting();
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
        await waiting();
      }
      await handle.signal(stopSignal);
      await handle.result();
      const dispatcher = client.workflow.getHandle(recordedWorkflowIds['alert-dispatcher']);
      await dispatcher.terminate('recording done');
      mkdirSync(OUT, { recursive: true });
      for (const [prefix, workflowId] of Object.entries(recordedWorkflowIds)) await saveAllRuns(client, workflowId, prefix);
    }, { taskQueue: RECORDED_TASK_QUEUE });
  } finally {
    await db.close();
    await simulator.close();
    await stopTestStack();
  }
}

async function saveAllRuns(client: Client, workflowId: string, prefix: string): Promise<void> {
  const runs: string[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run.runId);
  for (const [index, runId] of runs.reverse().entries()) {
    // Binary protobuf: the SDK's JSON reader trips over the two protobufjs copies that npm installs for it.
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    writeFileSync(path.join(OUT, `${prefix}-run-${index + 1}.binpb`), temporal.api.history.v1.History.encode(history).finish());
  }
  console.log(`${prefix}: ${runs.length} run(s) saved`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
