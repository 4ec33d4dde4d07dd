import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { updateSource } from '../../store/sources';
import { startSimulator } from '../../simulator/server';
import { silenceWatchdogWorkflowId } from '../../contract/ids';
import { sourceWorkflowId } from '../../contract/ids';
import { keyRotatedSignal, pauseSignal, pollNowSignal, resumeSignal, setIntervalUpdate, statusQuery, stopSignal } from '../../contract/source-messages';
import { sourceWorkflow } from '../../workflows/source-workflow';
import { startTestStack, stopTestStack } from '../harness/test-stack';
import { createTestSource, eventually, openTestDatabase, testActivities, testCipher } from '../harness/sources';
import { withWorker } from '../harness/worker';
import { RECORDED_SOURCE } from './recorded-source';

// Records real histories of the source and watchdog workflows for the replay test, on a stack of its own.
// Run it after a deliberate change of workflow code that old histories need not replay against:
//   npx tsx test/replay/record-histories.ts
// Each history is one run of one workflow, through backfill, polling, pause/resume, interval updates,
// continue-as-new, a rejected key and its rotation, the silence alarm opening and resolving, and a graceful stop.

const OUT = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  await startTestStack();
  const simulator = await startSimulator({ seed: 61, orgs: [{}], history: { count: 1_200, spanMs: 3600_000 } });
  const db = openTestDatabase();
  try {
    const org = simulator.orgs[0];
    const key = simulator.addKey(org.id, 'valid');
    const source = await createTestSource(db, { name: RECORDED_SOURCE, organizationId: org.id, apiKey: key, apiBaseUrl: simulator.url, silenceWindowSeconds: 3 });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
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
      await handle.signal(pauseSignal, 'recording');
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'paused');
      await handle.signal(resumeSignal);
      await waiting();
      simulator.expireKey(key);
      await handle.signal(pollNowSignal);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'failed');
      await updateSource(db, source.id, { apiKeyCiphertext: testCipher.seal(org.keys.valid) });
      await handle.signal(keyRotatedSignal);
      await waiting();
      for (let i = 0; i < 3; i++) {
        simulator.addEvents(org.id, { count: 3 });
        await handle.signal(pollNowSignal);
        await waiting();
      }
      await handle.signal(stopSignal);
      await handle.result();
      mkdirSync(OUT, { recursive: true });
      for (const file of readdirSync(OUT)) rmSync(path.join(OUT, file));
      await saveAllRuns(client, sourceWorkflowId(source.name), 'source-workflow');
      await saveAllRuns(client, silenceWatchdogWorkflowId(sourceWorkflowId(source.name)), 'silence-watchdog');
    });
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
