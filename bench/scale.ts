import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { sourceWorkflowId } from '../contract/ids';
import { WORKER_HEAP_FLAGS } from '../scripts/stack/supervised-worker';
import { JEMALLOC_PATH, jemallocInstalled, workerAllocatorEnv } from '../scripts/stack/worker-allocator';
import type { Database } from '../store/database';
import { countBackfilled, openBenchStack, runSourceCli } from './bench-environment';
import { meanByQuarter, UsageMeter } from './process-usage';
import { formatByKind, memoryByKind, type MemoryByKind } from './memory-by-kind';
import { freePort } from '../scripts/stack/processes';
import { scrape } from '../harness/prometheus';

// N sources on one worker process, compiled as the image runs it, against the simulator, added with `apply -f`, on a
// dev server and an embedded PostgreSQL of its own. Once every backfill is done and a warm-up has passed, it measures
// for a while: CPU and RSS of the worker, the Temporal server and PostgreSQL (with its backends), the worker's memory
// by kind (V8 heaps, native, files), history events and visibility writes per idle poll of one source, freshness (the
// event's processedAt at the API to its row) over every source, and the sticky cache's hits and misses. --cache sets
// the worker's WORKFLOW_CACHE_SIZE, --heap its V8 old-space limit in MiB, --allocator glibc runs it on glibc's malloc
// instead of the image's jemalloc.
// Usage: npm run bench:scale -- --sources 300 --interval 10 [--minutes 3] [--orgs 50] [--cache 2000] [--heap 512] [--allocator glibc]

const EventType = temporal.api.enums.v1.EventType;
const ROOT = path.join(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sources: { type: 'string', default: '300' }, interval: { type: 'string', default: '10' }, minutes: { type: 'string' }, orgs: { type: 'string' }, cache: { type: 'string' }, heap: { type: 'string' }, allocator: { type: 'string', default: 'jemalloc' } },
  });
  const sources = Number(values.sources);
  const interval = Number(values.interval);
  const orgCount = Math.min(sources, Number(values.orgs ?? 50));
  if (orgCount < 2) throw new Error('--orgs must be at least 2: one stays quiet');
  const measureSeconds = Number(values.minutes ?? Math.max(3, (6 * interval) / 60)) * 60;
  if (![sources, interval, orgCount, measureSeconds].every((n) => Number.isFinite(n) && n > 0)) throw new Error('--sources, --interval, --minutes and --orgs take positive numbers');
  if (values.cache !== undefined && !/^\d+$/.test(values.cache)) throw new Error('--cache takes a whole number of workflows');
  if (values.heap !== undefined && !/^\d+$/.test(values.heap)) throw new Error('--heap takes a whole number of MiB');
  if (values.allocator !== 'jemalloc' && values.allocator !== 'glibc') throw new Error('--allocator takes jemalloc or glibc');
  if (values.allocator === 'jemalloc' && !jemallocInstalled()) throw new Error(`jemalloc is not at ${JEMALLOC_PATH}: apt-get install libjemalloc2, or pass --allocator glibc`);

  const stack = await openBenchStack('scale', { seed: 5, orgs: Array.from({ length: orgCount }, () => ({})), history: { count: 0 } });
  const { workDir, database, db, simulator, server, client } = stack;
  const metricsPort = await freePort();
  // The worker as the image runs it: dist/ and its prebuilt workflow bundle, without tsx's loader in the way.
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: 'bench-scale',
    TEMPORAL_WORKFLOW_BUNDLE: path.join(ROOT, 'dist', 'workflow-bundle.js'),
    CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    ATLASSIAN_API_BASE_URL: simulator.url,
    ALLOW_INSECURE_LOOPBACK_HTTP: 'true',
    // The simulator is on loopback (bench-environment.ts allows it).
    OUTBOUND_ALLOWED_NETWORKS: process.env.OUTBOUND_ALLOWED_NETWORKS,
    METRICS_PORT: String(metricsPort),
    WORKFLOW_CACHE_SIZE: values.cache,
    ...(values.allocator === 'jemalloc' ? workerAllocatorEnv() : {}),
  };
  const heapLimit = values.heap ? [`--max-old-space-size=${values.heap}`] : [];
  const worker = spawn(process.execPath, [...WORKER_HEAP_FLAGS, ...heapLimit, path.join(ROOT, 'dist', 'workers', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let workerOutput = '';
  worker.stdout.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  try {
    await until(async () => workerOutput.includes('worker polling'), 120, () => `the worker did not start:\n${workerOutput}`);

    const keys = Object.fromEntries(simulator.orgs.map((org, i) => [`AUDIT_SECRET_SCALE_KEY_${i}`, org.keys.valid]));
    const file = path.join(workDir, 'sources.yaml');
    const names = Array.from({ length: sources }, (_, i) => `scale-${String(i).padStart(5, '0')}`);
    writeFileSync(file, toYaml({ sources: names.map((name, i) => ({ name, orgId: simulator.orgs[i % orgCount].id, apiKey: { env: `AUDIT_SECRET_SCALE_KEY_${i % orgCount}` }, interval })) }));
    const addStarted = performance.now();
    await runSourceCli(['apply', '-f', file], { ...env, ...keys });
    console.log(`${sources} sources on ${orgCount} organizations at a ${interval} s interval, the worker on ${values.allocator}; added with apply in ${((performance.now() - addStarted) / 1000).toFixed(1)} s`);
    await until(async () => (await countBackfilled(db)) === sources, 600, async () => `only ${await countBackfilled(db)} of ${sources} sources finished their backfill`);
    console.log(`all backfills done ${((performance.now() - addStarted) / 1000).toFixed(1)} s after apply began; warming up for ${2 * interval} s`);
    await sleep(2 * interval * 1000);

    const measureStart = new Date();
    const cacheAtStart = await stickyCache(metricsPort);
    const meter = new UsageMeter({ worker: worker.pid!, 'Temporal server': server.process.pid!, ...(postmasterPid(workDir) ? { PostgreSQL: postmasterPid(workDir)! } : {}) });
    // The RSS quarters say whether the worker's memory rises; these samples say in which part.
    const workerMemory: MemoryByKind[] = [];
    const memorySampler = setInterval(() => {
      const sample = memoryByKind(worker.pid!);
      if (!sample) return;
      workerMemory.push(sample);
      // A long run also says where the memory is as it goes: every 10 minutes.
      if (workerMemory.length % 20 === 0) console.log(`  minute ${workerMemory.length / 2}: worker ${formatByKind((kind) => mib(sample[kind]))}`);
    }, 30_000);
    let added = 0;
    // One new event per organization per interval, at spread-out moments: every source sees about one per poll. The
    // first organization stays quiet, so that its sources show what an idle poll costs.
    const busyOrgs = simulator.orgs.slice(1);
    const adder = setInterval(() => {
      simulator.addEvents(busyOrgs[added % busyOrgs.length].id, { count: 1 });
      added++;
    }, (interval * 1000) / busyOrgs.length);
    await sleep(measureSeconds * 1000);
    clearInterval(adder);
    const usage = meter.stop();
    clearInterval(memorySampler);
    const cacheAtEnd = await stickyCache(metricsPort);
    const measureEnd = new Date();
    await sleep((interval + 5) * 1000); // the last events' polls

    const expected = added * (sources / orgCount);
    const fresh = await freshness(db, measureStart, measureEnd);
    const history = await idlePollCost(client, sourceWorkflowId(names[0]), measureStart);
    console.log(`measured ${measureSeconds} s: ${added} events added, ${fresh.count} of about ${Math.round(expected)} source-events stored`);
    for (const [name, figures] of Object.entries(usage)) {
      console.log(
        `  ${name.padEnd(16)} CPU ${(figures.cores * 100).toFixed(0)}% of a core, RSS mean ${figures.meanRssMiB.toFixed(0)} MiB, peak ${figures.peakRssMiB.toFixed(0)} MiB, by quarter of the run ${figures.rssByQuarterMiB.map((mib) => mib.toFixed(0)).join(' / ')} MiB`,
      );
    }
    console.log(`  worker memory by kind, by quarter of the run: ${formatByKind((kind) => meanByQuarter(workerMemory.map((sample) => sample[kind])).map(mib).join(' / '))}`);
    const [hits, misses] = [cacheAtEnd.hits - cacheAtStart.hits, cacheAtEnd.misses - cacheAtStart.misses];
    console.log(`  sticky cache: ${cacheAtEnd.size} workflows held (size ${values.cache ?? "the SDK's default"}), ${hits} hits and ${misses} misses while measuring (${((100 * misses) / Math.max(hits + misses, 1)).toFixed(1)}% replayed)`);
    console.log(
      `  freshness (processedAt to row): p50 ${fresh.p50.toFixed(1)} s, p90 ${fresh.p90.toFixed(1)} s, p99 ${fresh.p99.toFixed(1)} s, max ${fresh.max.toFixed(1)} s (target p99 <= ${interval + 2} s)`,
    );
    console.log(
      `  one source's idle polls (${history.idleCycles}): ${history.eventsPerIdle.toFixed(1)} history events, ${history.upsertsPerIdle.toFixed(1)} search-attribute upserts and ${history.memosPerIdle.toFixed(1)} memo changes each`,
    );
  } finally {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('close', resolve));
    await stack.close();
  }
}

async function freshness(db: Database, from: Date, to: Date) {
  const { rows } = await db.query<{ count: number; p50: number; p90: number; p99: number; max: number }>(
    `SELECT count(*)::int AS count,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY lag) AS p90,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) AS p99, max(lag) AS max
       FROM (SELECT extract(epoch FROM p_parse_time - processed_at)::float8 AS lag FROM events WHERE processed_at >= $1 AND processed_at < $2) lags`,
    [from, to],
  );
  return rows[0];
}

/** History events between two timer firings with no new event in between (no signal to the watchdog). */
async function idlePollCost(client: Client, workflowId: string, since: Date) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = (history.events ?? []).filter((event) => Number(event.eventTime?.seconds ?? 0) * 1000 >= since.getTime());
  const cycles: temporal.api.history.v1.IHistoryEvent[][] = [];
  for (const event of events) {
    if (event.eventType === EventType.EVENT_TYPE_TIMER_FIRED) cycles.push([]);
    cycles[cycles.length - 1]?.push(event);
  }
  const idle = cycles.slice(0, -1).filter((cycle) => !cycle.some((event) => event.eventType === EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED));
  const perIdle = (type?: temporal.api.enums.v1.EventType) => idle.reduce((sum, cycle) => sum + cycle.filter((e) => type === undefined || e.eventType === type).length, 0) / Math.max(idle.length, 1);
  return {
    idleCycles: idle.length,
    eventsPerIdle: perIdle(),
    upsertsPerIdle: perIdle(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
    memosPerIdle: perIdle(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED),
  };
}

/** The SDK's sticky cache counters, from the worker's Prometheus endpoint. */
async function stickyCache(port: number): Promise<{ size: number; hits: number; misses: number }> {
  const samples = await scrape(`http://127.0.0.1:${port}/metrics`);
  const sum = (name: string) => samples.filter((sample) => sample.name === name).reduce((total, sample) => total + sample.value, 0);
  return { size: sum('temporal_sticky_cache_size'), hits: sum('temporal_sticky_cache_hit'), misses: sum('temporal_sticky_cache_miss') };
}

function postmasterPid(workDir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(workDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined; // DATABASE_URL's server: not ours to measure
  }
}

async function until(check: () => Promise<boolean>, seconds: number, failure: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(await failure());
    await sleep(500);
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
