import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import { watchdogTaskQueue } from '../contract/task-queues';
import { createDetectionHook } from '../detections/engine';
import { createCredentialCipher } from '../store/credentials';
import { workflowBundleOptions } from '../workers/workflow-bundle-options';
import { DAY_MS, insertBenchSource, openBenchStack, untilBackfilled } from './bench-environment';

// Where the workflow path of a backfill spends what the plain loop does not (bench/backfill.ts measures the two side
// by side): one backfill through the source workflow, with the time inside ingestPage local activities, before the
// first, and between two of them (split by whether the workflow waited on the server there: a timer, an activity, a
// signal), plus its history events by type and its timers' waits. Wall times: compare runs taken back to back.
// Usage: npm run bench:backfill-phases -- [events=200000]

const TASK_QUEUE = 'bench-backfill-phases';
const { EventType } = temporal.api.enums.v1;
/** Events that mean the workflow waited on the server, not only on its own local activities. */
const SERVER_WAITS = new Set<number>([EventType.EVENT_TYPE_TIMER_FIRED, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED]);

interface Span {
  start: number;
  end: number;
}

async function main(): Promise<void> {
  const eventCount = Number(process.argv[2] ?? 200_000);
  const stack = await openBenchStack('backfill-phases', { seed: 7, orgs: [{}], history: { count: eventCount, spanMs: 6 * DAY_MS } }, { keepTemporalState: true });
  const { db, simulator, client } = stack;
  const deps: ActivityDependencies = { db, cipher: createCredentialCipher(randomBytes(32)), onEventsInserted: createDetectionHook() };
  // The worker's own activities, with each ingestPage timed.
  const activities = createActivities(deps);
  const spans: Span[] = [];
  const { ingestPage } = activities;
  activities.ingestPage = async (input) => {
    const start = Date.now();
    try {
      return await ingestPage(input);
    } finally {
      spans.push({ start, end: Date.now() });
    }
  };
  const connection = await NativeConnection.connect({ address: stack.server.address });
  const { workflowsPath, preloadModules } = workflowBundleOptions();
  const { code } = await bundleWorkflowCode({ workflowsPath, preloadModules });
  // Two pollers, as a worker process has (workers/create-worker.ts): the source's queue, and its watchdog's.
  const workers = await Promise.all(
    [TASK_QUEUE, watchdogTaskQueue(TASK_QUEUE)].map((taskQueue) => Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: { code }, activities })),
  );
  const running = Promise.all(workers.map((worker) => worker.run()));
  try {
    const org = { organizationId: simulator.orgs[0].id, apiKey: simulator.orgs[0].keys.valid, apiBaseUrl: simulator.url };
    const source = await insertBenchSource(db, deps.cipher, `phases-${Date.now() % 100_000}`, org);
    const started = Date.now();
    const handle = await startSourceWorkflow(client, source, TASK_QUEUE);
    const firstRunId = (await handle.describe()).runId;
    await untilBackfilled(db, 1);
    const done = Date.now();
    await handle.terminate('benchmark done');
    console.log(`${eventCount} events in ${((done - started) / 1000).toFixed(2)} s (${Math.round(eventCount / ((done - started) / 1000))} events/s)`);

    const history = await readRuns(handle.workflowId, firstRunId, done);
    const serverWaits = history.events.filter((e) => SERVER_WAITS.has(e.type)).map((e) => e.at);
    const gaps = { 'waited on the server': [] as number[], 'local activities only': [] as number[] };
    for (let i = 1; i < spans.length; i++) {
      const waited = serverWaits.some((at) => at >= spans[i - 1].end && at <= spans[i].start);
      gaps[waited ? 'waited on the server' : 'local activities only'].push(spans[i].start - spans[i - 1].end);
    }
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    console.log(`inside ${spans.length} ingestPage activities: ${sum(spans.map((s) => s.end - s.start))} ms`);
    console.log(`before the first: ${spans[0].start - started} ms; after the last: ${done - spans[spans.length - 1].end} ms`);
    for (const [kind, values] of Object.entries(gaps)) console.log(`between two, ${kind}: ${values.length}, ${sum(values)} ms (${values.join(' ')})`);
    console.log(`timers' waits (ms): ${history.timerWaits.join(' ') || 'none'}`);
    console.log(`runs: ${history.runs}; history events: ${history.events.length} (${Math.round((history.events.length / eventCount) * 100_000)} per 100k events):`);
    const byType = new Map<number, number>();
    for (const event of history.events) byType.set(event.type, (byType.get(event.type) ?? 0) + 1);
    for (const [type, n] of [...byType].sort((a, b) => b[1] - a[1])) console.log(`  ${EventType[type].replace('EVENT_TYPE_', '')}: ${n}`);
  } finally {
    for (const worker of workers) worker.shutdown();
    await running;
    await connection.close();
    await stack.close();
  }

  /** The events of every run from `runId` on, up to `until` (ms), and how long each timer waited. */
  async function readRuns(workflowId: string, runId: string, until: number) {
    const events: { at: number; type: number }[] = [];
    const timerWaits: number[] = [];
    let runs = 0;
    for (let next: string | undefined = runId; next; runs++) {
      const run: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, next).fetchHistory();
      next = undefined;
      const timersStarted = new Map<string, number>();
      for (const event of run.events ?? []) {
        const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
        if (at > until) break;
        events.push({ at, type: event.eventType ?? 0 });
        if (event.timerStartedEventAttributes) timersStarted.set(event.timerStartedEventAttributes.timerId ?? '', at);
        if (event.timerFiredEventAttributes) timerWaits.push(at - (timersStarted.get(event.timerFiredEventAttributes.timerId ?? '') ?? at));
        next = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? next;
      }
    }
    return { events, timerWaits, runs };
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
