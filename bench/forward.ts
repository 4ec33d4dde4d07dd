import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { WorkflowHandle } from '@temporalio/client';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ActivityDependencies } from '../activities';
import { createDetectionHook } from '../detections/engine';
import { randomAdminIdentity, startS3Server, type S3Server } from '../scripts/stack/s3-server';
import { resolveSeaweedfs } from '../scripts/stack/seaweedfs-binary';
import { startOutputWorkflow } from '../outputs/start-output-workflow';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import { createCredentialCipher, type CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { DEFAULT_BATCHING, insertOutput } from '../store/outputs';
import { startSimulatorProcess, type SimulatorProcess } from '../harness/simulator-process';
import { DAY_MS, insertBenchSource, median, openBenchStackWith, plainBackfill, runBenchWorker, settleStore, type BenchStack } from './bench-environment';
import { postmasterPid } from './bench-server';
import { threadCpuSeconds, treeUsage } from './process-usage';

// Forwarding into the local S3 server (SeaweedFS) through the output workflow on a real dev server, from a store
// filled beforehand; then ingestion through the source workflow with one S3 output forwarding the same source as it
// fills, against no output, alternated over rounds. The worker and the S3 client share this process, as they do in a
// worker; the simulator (the API, which a real worker only calls) runs in a process of its own for both, so that its
// CPU is neither on the worker's thread nor in its figures; SeaweedFS runs beside them.
// Usage: npm run bench:forward -- [events=100000] [rounds=2]

const TASK_QUEUE = 'bench-forward';
const BUCKET = 'bench';
/** Object storage wants few large objects: an S3 output's batches are set larger than the HTTP default. */
const S3_BATCHING = { ...DEFAULT_BATCHING, maxEvents: 5_000, maxBytes: 16 * 1024 * 1024 };

async function main(): Promise<void> {
  const eventCount = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 2);
  const stack = await openBenchStackWith('forward', () => startSimulatorProcess({ seed: 9, orgs: [{}], history: { count: eventCount, spanMs: 6 * DAY_MS } }), {
    keepTemporalState: true,
  });
  const s3 = await startS3Server({
    weedPath: await resolveSeaweedfs((line) => console.log(line)),
    dataDir: path.join(stack.workDir, 's3'),
    logFile: path.join(stack.workDir, 's3.log'),
    identities: [randomAdminIdentity()],
  });
  // A bucket lives long: SeaweedFS's first write to one grows its volumes (seconds), which is not forwarding's cost.
  await s3.createBucket(BUCKET);
  await warmUp(s3);
  // The S3 server listens on loopback, which outputs reach only when allowed, as an operator allows a relay.
  process.env.OUTBOUND_ALLOWED_NETWORKS = '127.0.0.1/32';
  const deps: ActivityDependencies = { db: stack.db, cipher: createCredentialCipher(randomBytes(32)), onEventsInserted: createDetectionHook() };
  const worker = await runBenchWorker(stack, deps, TASK_QUEUE);
  try {
    const org = { organizationId: stack.simulator.orgs[0].id, apiKey: stack.simulator.orgs[0].keys.valid, apiBaseUrl: stack.simulator.url };
    console.log(`${eventCount} simulated events, S3 batches of up to ${S3_BATCHING.maxEvents}, ${rounds} round(s); PostgreSQL ${process.env.DATABASE_URL ? 'from DATABASE_URL' : 'embedded'}`);

    const processes = processesOf(stack, s3);
    const forwardRates: number[] = [];
    const forwardCpu: CpuSeconds[] = [];
    for (let round = 1; round <= rounds; round++) {
      const source = await insertBenchSource(stack.db, deps.cipher, `bench-filled-${round}-${Date.now() % 100_000}`, org);
      await plainBackfill(deps, source.id);
      const maxSeq = await maxSeqOf(stack.db, source.id);
      const output = await addS3Output(stack.db, deps.cipher, s3, source.id);
      const cpuBefore = cpuNow(processes);
      const started = performance.now();
      const handle = await startOutputWorkflow(stack.client, output, TASK_QUEUE);
      await untilDelivered(stack.db, output.id, source.id, maxSeq);
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuSince(cpuBefore, processes);
      await terminateWhenIdle(handle);
      forwardRates.push(eventCount / seconds);
      forwardCpu.push(cpu);
      console.log(`round ${round} forwarding from a filled store: ${Math.round(eventCount / seconds)} events/s (${seconds.toFixed(2)} s); CPU s ${formatCpu(cpu)}`);
    }

    const ingestRates: Record<'no output' | 'one output', number[]> = { 'no output': [], 'one output': [] };
    const slowdowns: number[] = [];
    const ingestCpu: Record<'no output' | 'one output', CpuSeconds[]> = { 'no output': [], 'one output': [] };
    for (let round = 1; round <= rounds; round++) {
      for (const variant of round % 2 ? (['no output', 'one output'] as const) : (['one output', 'no output'] as const)) {
        const { seconds, cpu, batches } = await ingest(stack, deps.cipher, s3, org, variant === 'one output', `${round}`, processes);
        ingestRates[variant].push(eventCount / seconds);
        ingestCpu[variant].push(cpu);
        const sent = batches === undefined ? '' : `; ${batches} batches`;
        console.log(`round ${round} ingestion, ${variant.padEnd(10)}: ${Math.round(eventCount / seconds)} events/s (${seconds.toFixed(2)} s); CPU s ${formatCpu(cpu)}${sent}`);
      }
      slowdowns.push(1 - ingestRates['one output'][round - 1] / ingestRates['no output'][round - 1]);
      console.log(`round ${round} ingestion slowed by the output: ${percent(slowdowns[round - 1])}`);
    }
    const forwarded = median(forwardRates);
    const [without, withOutput] = [median(ingestRates['no output']), median(ingestRates['one output'])];
    console.log(`median forwarding into S3: ${Math.round(forwarded)} events/s (target at least 20000)`);
    // What forwarding costs per event, apart from ingestion: a figure that load on the machine hardly moves, where rates do.
    console.log(`median CPU s of forwarding ${eventCount} events from a filled store: ${formatCpu(medianCpu(forwardCpu))}`);
    console.log(`median ingestion events/s: no output ${Math.round(without)}, one S3 output ${Math.round(withOutput)}`);
    // Each round's pair ran back to back, so what drifts between rounds (the store grows) cancels out within it.
    console.log(`ingestion slowed by the output, median of the rounds' pairs: ${percent(median(slowdowns))} (target under 10%)`);
    console.log(`median CPU s the output adds to ingestion, per ${eventCount} events: ${formatCpu(addedCpu(ingestCpu['one output'], ingestCpu['no output']))}`);
  } finally {
    await worker.stop();
    await s3.stop();
    await stack.close();
  }
}

/**
 * A backfill through the source workflow, timed until its last page is stored; with an output, that output forwards
 * the source while it fills, and must then hold every event.
 */
async function ingest(
  stack: ForwardStack,
  cipher: CredentialCipher,
  s3: S3Server,
  org: Parameters<typeof insertBenchSource>[3],
  withOutput: boolean,
  round: string,
  processes: Record<string, number>,
): Promise<{ seconds: number; cpu: CpuSeconds; batches?: number }> {
  const source = await insertBenchSource(stack.db, cipher, `bench-${withOutput ? 'out' : 'none'}-${round}-${Date.now() % 100_000}`, org);
  const output = withOutput ? await addS3Output(stack.db, cipher, s3, source.id) : undefined;
  const outputHandle = output ? await startOutputWorkflow(stack.client, output, TASK_QUEUE) : undefined;
  await settleStore(stack.db);
  const cpuBefore = cpuNow(processes);
  const started = performance.now();
  const handle = await startSourceWorkflow(stack.client, source, TASK_QUEUE);
  await untilSourceBackfilled(stack.db, source.id);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSince(cpuBefore, processes);
  await terminateWhenIdle(handle);
  if (output) {
    await untilDelivered(stack.db, output.id, source.id, await maxSeqOf(stack.db, source.id));
    await terminateWhenIdle(outputHandle!);
    return { seconds, cpu, batches: await batchesDelivered(stack.db, output.id) };
  }
  return { seconds, cpu };
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

type CpuSeconds = Record<string, number>;

type ForwardStack = BenchStack<SimulatorProcess>;

/**
 * The processes whose CPU ingestion and forwarding share, by pid: each server with its children (PostgreSQL's backends,
 * reaped ones included). This process (worker, S3 client) is read from process.cpuUsage(): its tree holds the servers.
 */
function processesOf(stack: ForwardStack, s3: S3Server): Record<string, number> {
  const postgres = postmasterPid(path.join(stack.workDir, 'pg')); // none for DATABASE_URL's server: not ours to measure
  return { 'Temporal server': stack.server.pid, ...(postgres ? { PostgreSQL: postgres } : {}), SeaweedFS: s3.process.pid!, simulator: stack.simulator.pid };
}

/**
 * The worker's main thread apart: ingestion and forwarding run their JavaScript there, one core at most, while gzip,
 * the Temporal core's threads and the garbage collector's helpers run beside it in the same process.
 */
const MAIN_THREAD = 'of which main thread';

function cpuNow(processes: Record<string, number>): CpuSeconds {
  const { user, system } = process.cpuUsage();
  return {
    'worker process': (user + system) / 1e6,
    [MAIN_THREAD]: threadCpuSeconds(process.pid, process.pid),
    ...Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, treeUsage(pid).cpuSeconds])),
  };
}

function cpuSince(before: CpuSeconds, processes: Record<string, number>): CpuSeconds {
  return Object.fromEntries(Object.entries(cpuNow(processes)).map(([name, value]) => [name, value - before[name]]));
}

/** Per process, the median over runs. */
function medianCpu(runs: CpuSeconds[]): CpuSeconds {
  return Object.fromEntries(Object.keys(runs[0] ?? {}).map((name) => [name, median(runs.map((c) => c[name]))]));
}

/** Per process, the median CPU of the runs with the output less the median of those without. */
function addedCpu(withOutput: CpuSeconds[], without: CpuSeconds[]): CpuSeconds {
  const [withMedian, withoutMedian] = [medianCpu(withOutput), medianCpu(without)];
  return Object.fromEntries(Object.keys(withMedian).map((name) => [name, withMedian[name] - withoutMedian[name]]));
}

function formatCpu(cpu: CpuSeconds): string {
  const total = Object.entries(cpu).reduce((sum, [name, value]) => (name === MAIN_THREAD ? sum : sum + value), 0);
  return [...Object.entries(cpu).map(([name, value]) => `${name} ${value.toFixed(2)}`), `total ${total.toFixed(2)}`].join(', ');
}

/** An output of its own prefix in the one bucket, as outputs sharing a bucket are set up. */
function addS3Output(db: Database, cipher: CredentialCipher, s3: S3Server, sourceId: string) {
  const name = `bench-lake-${randomUUID().slice(0, 8)}`;
  return insertOutput(db, cipher, {
    name,
    kind: 's3',
    format: 'raw',
    settings: { bucket: BUCKET, prefix: name, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true },
    allSources: false,
    sourceIds: [sourceId],
    batching: S3_BATCHING,
    lagAlertSeconds: 3600,
    secrets: { accessKeyId: s3.admin.accessKeyId, secretAccessKey: s3.admin.secretAccessKey },
  });
}

async function warmUp(s3: S3Server): Promise<void> {
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.admin.accessKeyId, secretAccessKey: s3.admin.secretAccessKey } });
  try {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'warm-up', Body: 'warm-up' }));
  } finally {
    client.destroy();
  }
}

async function maxSeqOf(db: Database, sourceId: string): Promise<number> {
  const { rows } = await db.query<{ n: string | null }>('SELECT max(seq) AS n FROM events WHERE source_id = $1', [sourceId]);
  return Number(rows[0].n ?? 0);
}

/** Batches the output sent, over every source it takes. */
async function batchesDelivered(db: Database, outputId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT COALESCE(sum(batches_delivered), 0) AS n FROM output_positions WHERE output_id = $1', [outputId]);
  return Number(rows[0].n);
}

async function untilDelivered(db: Database, outputId: string, sourceId: string, seq: number): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ d: string }>('SELECT delivered_seq AS d FROM output_positions WHERE output_id = $1 AND source_id = $2', [outputId, sourceId]);
    if (rows.length && Number(rows[0].d) >= seq) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Longer than an S3 output's round (a minute at most): a workflow still busy then is terminated anyway. */
const IDLE_WAIT_MS = 90_000;

/**
 * Terminates a workflow once nothing of it is in flight: an activity or a workflow task that ends after the terminate
 * is reported to a workflow that is gone, and the worker logs the server's NOT_FOUND answer as a warning.
 */
async function terminateWhenIdle(handle: WorkflowHandle): Promise<void> {
  const deadline = Date.now() + IDLE_WAIT_MS;
  while (Date.now() < deadline) {
    const { raw } = await handle.describe();
    if (!raw.pendingActivities?.length && !raw.pendingWorkflowTask) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await handle.terminate('benchmark done');
}

/** The checkpoint records when the first pass reached the end of the stream. */
async function untilSourceBackfilled(db: Database, sourceId: string): Promise<void> {
  for (;;) {
    const { rows } = await db.query('SELECT 1 FROM checkpoints WHERE source_id = $1 AND backfill_completed_at IS NOT NULL', [sourceId]);
    if (rows.length) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
