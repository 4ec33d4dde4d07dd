import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sourceWorkflowId } from '../contract/ids';
import type { RunningSimulator } from '../harness/simulator';
import type { Database } from '../store/database';
import { countBackfilled, openBenchStack } from './bench-environment';
import { postmasterPid, type BenchServer } from './bench-server';
import { rowsOf, ServerWriteMeter, type ServerWrites } from './server-writes';
import { meanByQuarter, ThreadUsageMeter, UsageMeter } from './process-usage';
import { formatByKind, memoryByKind, type MemoryByKind } from './memory-by-kind';
import { applySources, buildAsTheImage, readCounts, sleep, startScaleWorker, stickyCache, until } from './scale-worker';

// N sources on one worker process, compiled as the image runs it, against the simulator, added with `apply -f`, on a
// dev server and an embedded PostgreSQL of its own. Once every backfill is done and a warm-up has passed, it measures
// for a while: CPU and RSS of the worker, the Temporal server and PostgreSQL (with its backends), the worker's memory
// by kind (V8 heaps, native, files), history events and visibility writes per idle poll of one source, freshness (the
// event's processedAt at the API to its row) over every source, and the sticky cache's hits and misses. --cache sets
// the worker's WORKFLOW_CACHE_SIZE, --watchdog-cache its WATCHDOG_CACHE_SIZE, --heap its V8 old-space limit in MiB, --allocator glibc runs it on glibc's malloc
// instead of the image's jemalloc.
// --server cluster runs it on the cluster profile's Temporal server, on a PostgreSQL of its own, instead of the dev
// server; either way it prints the server's CPU per cycle, and on the cluster server its PostgreSQL's CPU, transactions,
// rows (by table) and WAL per cycle. --quiet adds no events while measuring, so that every cycle is an idle one.
// It also prints the worker's CPU per cycle by thread name (the main thread, the workflow threads, the Rust core's
// tokio threads, libuv's pool, and the threads that ended within the window: Node's watchdog of each timed `vm` call).
// --count preloads idle-cycle-counts.cjs into the worker and prints, per cycle, its workflow activations, their jobs
// and commands, the SDK's timed entries into the VM, and the PostgreSQL statements of its main thread.
// --stand-in-page preloads stand-in-page.cjs: a source's idle pages, once one came back idle, are answered without a
// request or a statement, so the cycle left is the SDK's and its core's floor for a timer and a local activity.
// Usage: npm run bench:scale -- --sources 300 --interval 10 [--minutes 3] [--orgs 50] [--cache 2000] [--watchdog-cache 10] [--heap 512] [--allocator glibc] [--server cluster] [--quiet] [--count] [--stand-in-page]

const EventType = temporal.api.enums.v1.EventType;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sources: { type: 'string', default: '300' }, interval: { type: 'string', default: '10' }, minutes: { type: 'string' }, orgs: { type: 'string' }, cache: { type: 'string' }, 'watchdog-cache': { type: 'string' }, heap: { type: 'string' }, allocator: { type: 'string', default: 'jemalloc' }, server: { type: 'string', default: 'dev' }, quiet: { type: 'boolean', default: false }, count: { type: 'boolean', default: false }, 'stand-in-page': { type: 'boolean', default: false } },
  });
  const sources = Number(values.sources);
  const interval = Number(values.interval);
  const orgCount = Math.min(sources, Number(values.orgs ?? 50));
  if (orgCount < 2) throw new Error('--orgs must be at least 2: one stays quiet');
  const measureSeconds = Number(values.minutes ?? Math.max(3, (6 * interval) / 60)) * 60;
  if (![sources, interval, orgCount, measureSeconds].every((n) => Number.isFinite(n) && n > 0)) throw new Error('--sources, --interval, --minutes and --orgs take positive numbers');
  if (values.cache !== undefined && !/^\d+$/.test(values.cache)) throw new Error('--cache takes a whole number of workflows');
  if (values['watchdog-cache'] !== undefined && !/^\d+$/.test(values['watchdog-cache'])) throw new Error('--watchdog-cache takes a whole number of workflows');
  if (values.heap !== undefined && !/^\d+$/.test(values.heap)) throw new Error('--heap takes a whole number of MiB');
  if (values.allocator !== 'jemalloc' && values.allocator !== 'glibc') throw new Error('--allocator takes jemalloc or glibc');
  const allocator = values.allocator;
  if (values.server !== 'dev' && values.server !== 'cluster') throw new Error('--server takes dev or cluster');
  if (values['stand-in-page'] && !values.count) throw new Error('--stand-in-page needs --count: its cycles are the timers fired, not the requests answered');

  const stack = await openBenchStack('scale', { seed: 5, orgs: Array.from({ length: orgCount }, () => ({})), history: { count: 0 } }, { server: values.server });
  const { workDir, db, simulator, server, client } = stack;
  const countsDir = values.count ? path.join(workDir, 'counts') : undefined;
  if (countsDir) mkdirSync(countsDir);
  const start = async () => startScaleWorker(stack, { taskQueue: 'bench-scale', workflowBundle: buildAsTheImage(), cache: values.cache, watchdogCache: values['watchdog-cache'], heapMiB: values.heap, allocator, countsDir, standInPage: values['stand-in-page'] });
  const worker = await start().catch(async (err: unknown) => {
    await stack.close();
    throw err;
  });
  const metricsPort = worker.metricsPort;
  try {
    const names = Array.from({ length: sources }, (_, i) => `scale-${String(i).padStart(5, '0')}`);
    const addStarted = performance.now();
    await applySources(stack, worker, names, orgCount, interval);
    console.log(`${sources} sources on ${orgCount} organizations at a ${interval} s interval, the worker on ${values.allocator}; added with apply in ${((performance.now() - addStarted) / 1000).toFixed(1)} s`);
    await until(async () => (await countBackfilled(db)) === sources, 600, async () => `only ${await countBackfilled(db)} of ${sources} sources finished their backfill`);
    console.log(`all backfills done ${((performance.now() - addStarted) / 1000).toFixed(1)} s after apply began; warming up for ${2 * interval} s`);
    await sleep(2 * interval * 1000);

    const measureStart = new Date();
    const cacheAtStart = await stickyCache(metricsPort);
    const auditPostgres = postmasterPid(path.join(workDir, 'pg')); // none for DATABASE_URL's server: not ours to measure
    const meter = new UsageMeter({
      worker: worker.process.pid!,
      'Temporal server': server.pid,
      ...(auditPostgres ? { PostgreSQL: auditPostgres } : {}),
      ...(server.postgres ? { "Temporal's PG": server.postgres.pid } : {}),
    });
    const workerThreads = new ThreadUsageMeter(worker.process.pid!);
    const serverWrites = server.postgres && (await ServerWriteMeter.start(server.postgres.url));
    const pollsAtStart = pollCount(simulator.requestCounts());
    const countsAtStart = countsDir ? readCounts(countsDir) : undefined;
    // The RSS quarters say whether the worker's memory rises; these samples say in which part.
    const workerMemory: MemoryByKind[] = [];
    const memorySampler = setInterval(() => {
      const sample = memoryByKind(worker.process.pid!);
      if (!sample) return;
      workerMemory.push(sample);
      // A long run also says where the memory is as it goes: every 10 minutes.
      if (workerMemory.length % 20 === 0) console.log(`  minute ${workerMemory.length / 2}: worker ${formatByKind((kind) => mib(sample[kind]))}`);
    }, 30_000);
    let added = 0;
    // One new event per organization per interval, at spread-out moments: every source sees about one per poll. The
    // first organization stays quiet, so that its sources show what an idle poll costs; under --quiet, all of them do.
    const busyOrgs = values.quiet ? [] : simulator.orgs.slice(1);
    const adder = setInterval(() => {
      if (busyOrgs.length === 0) return;
      simulator.addEvents(busyOrgs[added % busyOrgs.length].id, { count: 1 });
      added++;
    }, (interval * 1000) / Math.max(busyOrgs.length, 1));
    await sleep(measureSeconds * 1000);
    clearInterval(adder);
    const usage = meter.stop();
    const threads = workerThreads.stop();
    const writes = await serverWrites?.stop();
    const counted = countsDir && countsAtStart ? countedSince(countsAtStart, readCounts(countsDir)) : undefined;
    // A stand-in page asks the simulator nothing: its cycles are the poll timers that fired.
    const cycles = values['stand-in-page'] ? (counted?.get('job: fireTimer') ?? 0) : pollCount(simulator.requestCounts()) - pollsAtStart;
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
    if (fresh.count > 0) console.log(
      `  freshness (processedAt to row): p50 ${fresh.p50.toFixed(1)} s, p90 ${fresh.p90.toFixed(1)} s, p99 ${fresh.p99.toFixed(1)} s, max ${fresh.max.toFixed(1)} s (target p99 <= ${interval + 2} s)`,
    );
    console.log(
      `  one source's idle polls (${history.idleCycles}): ${history.eventsPerIdle.toFixed(1)} history events, ${history.upsertsPerIdle.toFixed(1)} search-attribute upserts and ${history.memosPerIdle.toFixed(1)} memo changes each`,
    );
    printServerPerCycle(server, cycles, values.quiet ? 'all idle' : `${added} of them with an event`, usage, writes);
    printThreadsPerCycle(threads, cycles);
    if (counted) printCountsPerCycle(counted, cycles);
  } finally {
    await worker.stop();
    await stack.close();
  }
}

/** What the worker counted between two readings. */
function countedSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const since = [...after].map(([key, n]): [string, number] => [key, n - (before.get(key) ?? 0)]);
  return new Map(since.filter(([, n]) => n > 0));
}

/** The worker's CPU per cycle by thread name: which of the SDK's, core's and Node's threads an idle cycle costs. */
function printThreadsPerCycle(threads: [string, number][], cycles: number): void {
  const shown = threads.filter(([, seconds]) => (seconds * 1000) / Math.max(cycles, 1) >= 0.005);
  console.log(`  worker CPU per cycle by thread (ms): ${shown.map(([name, seconds]) => `${name} ${((seconds * 1000) / Math.max(cycles, 1)).toFixed(2)}`).join(', ')}`);
}

/** --count: what the worker did per cycle, by what its threads counted (idle-cycle-counts.cjs). */
function printCountsPerCycle(counted: Map<string, number>, cycles: number): void {
  console.log(`  counted in the worker, per cycle (${cycles} cycles):`);
  for (const [key, n] of [...counted].sort(([a], [b]) => a.localeCompare(b))) console.log(`    ${key.padEnd(64)} ${(n / Math.max(cycles, 1)).toFixed(2).padStart(7)}`);
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

/** Every source's cycle asks for one page at least (an idle one for exactly one): the events-stream requests. */
const pollCount = (counts: ReturnType<RunningSimulator['requestCounts']>) => Object.values(counts.byOrg).reduce((sum, org) => sum + (org['events-stream'] ?? 0), 0);

/** The server's side of a cycle: its CPU and, on the cluster server, what its PostgreSQL did, each per cycle. */
function printServerPerCycle(server: BenchServer, cycles: number, which: string, usage: ReturnType<UsageMeter['stop']>, writes: ServerWrites | undefined): void {
  const perCycle = (n: number) => n / Math.max(cycles, 1);
  const cpuMs = (part: string) => `${perCycle(usage[part].cpuSeconds * 1000).toFixed(2)} ms`;
  const postgresCpu = server.postgres ? `, its PostgreSQL ${cpuMs("Temporal's PG")}` : '';
  console.log(`  CPU per cycle (${cycles} cycles, ${which}): worker ${cpuMs('worker')}, ${server.kind} server ${cpuMs('Temporal server')}${postgresCpu}`);
  if (!writes) return;
  const databases = Object.entries(writes.databases)
    .map(([name, db]) => `${name} ${perCycle(db.commits).toFixed(2)} transactions and ${perCycle(rowsOf(db)).toFixed(2)} rows (${perCycle(db.inserted).toFixed(2)} inserted, ${perCycle(db.updated).toFixed(2)} updated, ${perCycle(db.deleted).toFixed(2)} deleted)`)
    .join('; ');
  console.log(`    PostgreSQL per cycle: ${(perCycle(writes.walBytes) / 1024).toFixed(2)} KiB of WAL; ${databases}`);
  const tables = writes.tables.slice(0, 8).map((t) => `${t.table} ${perCycle(t.inserted).toFixed(2)}/${perCycle(t.updated).toFixed(2)}/${perCycle(t.deleted).toFixed(2)}`);
  console.log(`    rows per cycle by table (inserted/updated/deleted): ${tables.join(', ')}`);
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
