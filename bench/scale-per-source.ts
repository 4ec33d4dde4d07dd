import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { STACK_TRACE_LIMIT_PATH, workflowBundleOptions } from '../workers/workflow-bundle-options';
import { countBackfilled, openBenchStack } from './bench-environment';
import { cpuByCategory } from './cpu-profile-categories';
import { heapByKind, type HeapByKind, type Kind } from './heap-snapshot-kinds';
import { memoryByKind, type MemoryByKind } from './memory-by-kind';
import { treeUsage } from './process-usage';
import { applySources, buildAsTheImage, sleep, startScaleWorker, stickyCache, until, type ScaleWorker } from './scale-worker';
import { Inspector } from './worker-inspector';

// What one more cached idle source costs a worker, lever by lever: a worker per variant of the workflow bundle (with
// and without preloaded modules, workers/workflow-bundle-options.ts, and at several depths of the stack the SDK's
// promise hook captures per promise, workflows/stack-trace-limit.ts), side by side on one dev server, one PostgreSQL
// and one simulator whose organizations stay quiet. Each gets N sources, then N more; once all have polled idle, each
// worker is measured: RSS by kind, and the V8 heap of its workflow thread and of its main thread after a full
// collection (over the DevTools protocol, which reaches the workflow thread). The difference from N to 2N, over N,
// is the cost per source. --snapshots also takes a heap snapshot of each workflow thread and splits it by kind
// (heap-snapshot-kinds.ts); --cpu-seconds then profiles both threads of each worker over idle polls and splits the
// time by cost (cpu-profile-categories.ts). Memory figures hold up on a busy machine far better than CPU figures do.
// The variant no-watchdog, beside shipped, tells the silence watchdog's share of a source; watchdogs-cached, what
// the watchdogs' small cache saves (each watchdog stays cached, as when they ran on their source's queue). The
// arenas-…, dirty-… and background-… variants run jemalloc with another MALLOC_CONF: what of a source is its slack.
// Usage: npm run bench:scale-per-source -- --sources 100 [--interval 60] [--orgs 10] [--snapshots] [--cpu-seconds 60]
//   [--variants copies,stack-10,shipped,no-watchdog,watchdogs-cached,...] [--out dir]

interface Variant {
  key: string;
  label: string;
  preload: boolean;
  /** Error.stackTraceLimit in the workflow context; without it, the product's (workflows/stack-trace-limit.ts: none). */
  stackTraceLimit?: number;
  /** The sources' silence alarm, whose watchdog is a second long-lived workflow per source; on unless false. */
  silenceAlert?: boolean;
  /** WATCHDOG_CACHE_SIZE; the product's default (a few) when unset. */
  watchdogCache?: string;
  /** jemalloc's MALLOC_CONF in place of the product's (scripts/stack/worker-allocator.ts). */
  mallocConf?: string;
}

const VARIANTS: readonly Variant[] = [
  { key: 'copies', label: 'modules per workflow', preload: false },
  { key: 'stack-10', label: "preloaded, stack limit 10 (V8's)", preload: true, stackTraceLimit: 10 },
  { key: 'stack-4', label: 'preloaded, stack limit 4', preload: true, stackTraceLimit: 4 },
  { key: 'stack-2', label: 'preloaded, stack limit 2', preload: true, stackTraceLimit: 2 },
  { key: 'stack-0', label: 'preloaded, stack limit 0', preload: true, stackTraceLimit: 0 },
  { key: 'shipped', label: 'preloaded, no stacks (shipped)', preload: true },
  { key: 'no-watchdog', label: 'shipped, silence alarm off', preload: true, silenceAlert: false },
  { key: 'watchdogs-cached', label: 'shipped, every watchdog cached', preload: true, watchdogCache: '100000' },
  // What of a source's native memory is jemalloc's slack rather than live data: fewer arenas (by default 4 per CPU,
  // which the Rust core's threads and Node's spread over), dirty pages handed back sooner (Debian's 5.3 keeps them
  // 10 s; muzzy pages it already returns at once), or handed back by a thread of jemalloc's rather than on allocation.
  { key: 'arenas-1', label: 'shipped, jemalloc narenas:1', preload: true, mallocConf: 'narenas:1' },
  { key: 'arenas-2', label: 'shipped, jemalloc narenas:2', preload: true, mallocConf: 'narenas:2' },
  { key: 'dirty-1s', label: 'shipped, jemalloc dirty pages 1 s', preload: true, mallocConf: 'dirty_decay_ms:1000' },
  { key: 'dirty-0', label: 'shipped, jemalloc dirty pages 0', preload: true, mallocConf: 'dirty_decay_ms:0' },
  { key: 'background-thread', label: 'shipped, jemalloc background thread', preload: true, mallocConf: 'background_thread:true' },
  { key: 'arenas-2-dirty-1s', label: 'shipped, jemalloc narenas:2, dirty 1 s', preload: true, mallocConf: 'narenas:2,dirty_decay_ms:1000' },
  { key: 'arenas-1-background', label: 'shipped, jemalloc narenas:1, background thread', preload: true, mallocConf: 'narenas:1,background_thread:true' },
];

interface VariantWorker {
  variant: Variant;
  worker: ScaleWorker;
  inspector: Inspector;
  /** The inspector's sessions of the worker's workflow threads. */
  workflowThreads: string[];
  measures: Measure[];
}

interface Measure {
  sources: number;
  cached: number;
  rss: number;
  byKind: MemoryByKind;
  workflowThreadHeap: number;
  mainThreadHeap: number;
  snapshot?: HeapByKind;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sources: { type: 'string', default: '100' }, interval: { type: 'string', default: '60' }, orgs: { type: 'string', default: '10' }, snapshots: { type: 'boolean', default: false }, 'cpu-seconds': { type: 'string', default: '0' }, variants: { type: 'string', default: VARIANTS.map((v) => v.key).join(',') }, out: { type: 'string' } } });
  const [sources, interval, orgCount, cpuSeconds] = [values.sources, values.interval, values.orgs, values['cpu-seconds']].map(Number);
  if (![sources, interval, orgCount].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--sources, --interval and --orgs take positive whole numbers');
  if (!Number.isInteger(cpuSeconds) || cpuSeconds < 0) throw new Error('--cpu-seconds takes a whole number of seconds');
  const variants = values.variants.split(',').map((key) => VARIANTS.find((v) => v.key === key) ?? unknownVariant(key));

  const stack = await openBenchStack('per-source', { seed: 5, orgs: Array.from({ length: orgCount }, () => ({})), history: { count: 0 } });
  const workers: VariantWorker[] = [];
  // Snapshots and profiles, for DevTools: kept where --out says, else removed with the stack.
  const outDir = values.out ? path.resolve(values.out) : stack.workDir;
  try {
    mkdirSync(outDir, { recursive: true });
    buildAsTheImage(); // dist/workers/main.js; the bundles are the variants' own, made alike from the sources
    for (const variant of variants) {
      const bundle = bundleFile(stack.workDir, variant.key);
      writeFileSync(bundle, (await bundleWorkflowCode({ ...variantBundleOptions(variant, stack.workDir), logger: quietLogger })).code);
      // One after the other: each worker migrates the store as it starts.
      const worker = await startScaleWorker(stack, { taskQueue: `bench-per-source-${variant.key}`, workflowBundle: bundle, allocator: 'jemalloc', inspect: true, watchdogCache: variant.watchdogCache, mallocConf: variant.mallocConf });
      const inspector = await Inspector.open(worker.inspectorUrl!);
      workers.push({ variant, worker, inspector, workflowThreads: await inspector.workerThreads('workflow-worker-thread'), measures: [] });
    }
    console.log(`${variants.map((v) => v.label).join(' / ')}: a worker each, sources at a ${interval} s interval on ${orgCount} quiet organizations`);

    for (const count of [0, sources, 2 * sources]) {
      const added = count - (workers[0].measures.at(-1)?.sources ?? 0);
      if (added > 0) {
        for (const { variant, worker } of workers) {
          await applySources(stack, worker, Array.from({ length: added }, (_, i) => `${variant.key}-${String(count - added + i).padStart(5, '0')}`), orgCount, interval, { silenceAlert: variant.silenceAlert });
        }
        // Two seconds per source started, at least 600: a fixed 600 s lost a run of eight variants at 100 sources on
        // the 2-core machine (from 100 to 200, only 574 of the 800 new sources backfilled in time: about 1 s each).
        const backfillSeconds = Math.max(600, 2 * added * workers.length);
        await until(async () => (await countBackfilled(stack.db)) === count * workers.length, backfillSeconds, async () => `only ${await countBackfilled(stack.db)} of ${count * workers.length} sources finished their backfill`);
        // Every source through two idle polls, so what they hold is what an idle source holds.
        await sleep(2 * interval * 1000 + 5000);
      }
      for (const entry of workers) entry.measures.push(await measure(entry, count, outDir, values.snapshots));
      console.log(`  measured at ${count} sources each`);
    }
    printTable(workers, sources);
    if (cpuSeconds > 0) await profileIdleCycles(workers, stack.workDir, outDir, 2 * sources, interval, cpuSeconds);
  } finally {
    for (const { worker, inspector } of workers) {
      inspector.close();
      await worker.stop();
    }
    await stack.close();
  }
}

async function measure({ variant, worker, inspector, workflowThreads }: VariantWorker, sources: number, outDir: string, snapshots: boolean): Promise<Measure> {
  let workflowThreadHeap = 0;
  for (const thread of workflowThreads) workflowThreadHeap += await inspector.heapUsedAfterGc(thread);
  const mainThreadHeap = await inspector.heapUsedAfterGc();
  // RSS right after the collections, as the mean of a few samples.
  const rssSamples: number[] = [];
  for (let i = 0; i < 5; i++, await sleep(1000)) rssSamples.push(treeUsage(worker.process.pid!).rssBytes);
  const measured: Measure = {
    sources,
    cached: (await stickyCache(worker.metricsPort)).size,
    rss: rssSamples.reduce((a, b) => a + b, 0) / rssSamples.length,
    byKind: memoryByKind(worker.process.pid!)!,
    workflowThreadHeap,
    mainThreadHeap,
  };
  if (snapshots && sources > 0) {
    const file = path.join(outDir, `workflow-thread-${variant.key}-${sources}.heapsnapshot`);
    await inspector.heapSnapshot(file, workflowThreads[0]);
    measured.snapshot = heapByKind(file);
  }
  return measured;
}

/**
 * Both threads of every worker profiled at once over `seconds` of idle polls, by category, in ms per idle cycle (a
 * source's poll that found nothing); and the worker process's whole CPU (all threads, /proc) over the same span.
 */
async function profileIdleCycles(workers: VariantWorker[], workDir: string, outDir: string, sources: number, interval: number, seconds: number): Promise<void> {
  const cycles = (sources * seconds) / interval;
  const results = await Promise.all(
    workers.map(async ({ variant, worker, inspector, workflowThreads }) => {
      const cpuBefore = treeUsage(worker.process.pid!).cpuSeconds;
      // Every workflow thread: the worker's two SDK workers (the sources' queue, the watchdogs') have threads of their own.
      const [mainThread, ...workflowThreadProfiles] = await Promise.all([inspector.cpuProfile(seconds), ...workflowThreads.map((thread) => inspector.cpuProfile(seconds, thread))]);
      const processMs = (treeUsage(worker.process.pid!).cpuSeconds - cpuBefore) * 1000;
      workflowThreadProfiles.forEach((profile, i) => writeFileSync(path.join(outDir, `workflow-thread-${i + 1}-${variant.key}.cpuprofile`), JSON.stringify(profile)));
      writeFileSync(path.join(outDir, `main-thread-${variant.key}.cpuprofile`), JSON.stringify(mainThread));
      const bundle = bundleFile(workDir, variant.key);
      const threads: Record<string, ReturnType<typeof cpuByCategory>> = {};
      workflowThreadProfiles.forEach((profile, i) => (threads[`workflow thread ${i + 1} of ${workflowThreadProfiles.length}`] = cpuByCategory(profile, bundle)));
      threads['main thread'] = cpuByCategory(mainThread, bundle);
      return { variant, processMs, threads };
    }),
  );
  console.log(`\nCPU over ${seconds} s of idle polls, ${sources} sources at ${interval} s: ${cycles.toFixed(0)} idle cycles per worker; ms per idle cycle`);
  for (const { variant, processMs, threads } of results) {
    console.log(`  ${variant.label}: the worker process ${(processMs / cycles).toFixed(2)} ms per cycle (all its threads, /proc)`);
    for (const [thread, categories] of Object.entries(threads)) {
      const busy = [...categories].filter(([category]) => category !== 'idle');
      const total = busy.reduce((sum, [, micros]) => sum + micros, 0);
      console.log(`    ${thread}: ${(total / 1000 / cycles).toFixed(2)} ms per cycle on the CPU (profiler's view)`);
      for (const [category, micros] of sortedByTime(busy)) console.log(`      ${category.padEnd(56)} ${(micros / 1000 / cycles).toFixed(3).padStart(7)} ms  ${((100 * micros) / total).toFixed(0).padStart(3)}%`);
    }
  }
}

/** The product's bundle options, with nothing preloaded, or with the stack-trace limit swapped for the variant's. */
function variantBundleOptions(variant: Variant, workDir: string): ReturnType<typeof workflowBundleOptions> {
  const options = workflowBundleOptions();
  if (!variant.preload) return { ...options, preloadModules: [] };
  if (variant.stackTraceLimit === undefined) return options;
  const limitModule = path.join(workDir, `stack-trace-limit-${variant.stackTraceLimit}.js`);
  writeFileSync(limitModule, `Error.stackTraceLimit = ${variant.stackTraceLimit};\n`);
  return { ...options, preloadModules: options.preloadModules.map((module) => (module === STACK_TRACE_LIMIT_PATH ? limitModule : module)) };
}

function unknownVariant(key: string): never {
  throw new Error(`--variants takes keys among ${VARIANTS.map((v) => v.key).join(', ')}; not ${key}`);
}

const sortedByTime = (categories: [string, number][]): [string, number][] => [...categories].sort((a, b) => b[1] - a[1]);

const bundleFile = (workDir: string, variant: string) => path.join(workDir, `workflow-bundle-${variant}.js`);

/** Each figure at 0, N and 2N sources for each variant, and per source: (2N - N) / N. */
function printTable(workers: VariantWorker[], sources: number): void {
  const bytes: [string, (m: Measure) => number | undefined][] = [
    ['worker RSS', (m) => m.rss],
    ['  V8 heaps (all threads)', (m) => m.byKind.v8Heaps],
    ['  native', (m) => m.byKind.native],
    ['workflow thread heap after GC', (m) => m.workflowThreadHeap],
    ['main thread heap after GC', (m) => m.mainThreadHeap],
  ];
  const bySnapshot = (figure: (s: HeapByKind) => number) => (m: Measure) => (m.snapshot ? figure(m.snapshot) : undefined);
  const kinds: [string, (m: Measure) => number | undefined][] = [
    ['  all Activators retain', bySnapshot((s) => s.activators)],
    ...(Object.keys(KIND_LABELS) as Kind[]).map((kind): [string, (m: Measure) => number | undefined] => [`    ${KIND_LABELS[kind]}`, bySnapshot((s) => s.retained[kind])]),
    ['    held by two kinds together', bySnapshot((s) => s.sharedByKinds)],
    ['    rest of the SDK per-run state', bySnapshot((s) => s.activators - s.sharedByKinds - Object.values(s.retained).reduce((a, b) => a + b, 0))],
    ['  the heap outside the Activators', bySnapshot((s) => s.total - s.activators)],
  ];
  const cell = (text: string, width = 8) => text.padStart(width);
  const row = (label: string, figure: (m: Measure) => number | undefined, at: (n: number) => string, perSource: (n: number) => string) =>
    console.log(
      label.padEnd(48) +
        workers
          .map(({ measures }) => {
            const [zero, n, twoN] = measures.map(figure);
            const each = n !== undefined && twoN !== undefined ? perSource((twoN - n) / sources) : '';
            return [zero, n, twoN].map((v) => cell(v === undefined ? '' : at(v))).join('') + cell(each, 10) + '    ';
          })
          .join(''),
    );
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  const kib = (n: number) => (n / 1024).toFixed(0);
  const count = (n: number) => n.toFixed(0);
  const each = (n: number) => n.toFixed(2);
  console.log(`\n${'per variant: 0, N and 2N sources; per source'.padEnd(48)}${workers.map(({ variant }) => variant.label.padEnd(38)).join('')}`);
  console.log(`${'(MiB; KiB per source)'.padEnd(48)}${workers.map(() => `${cell('0')}${cell('N')}${cell('2N')}${cell('/source', 10)}    `).join('')}`);
  for (const [label, figure] of bytes) row(label, figure, mib, kib);
  row('cached workflows (count)', (m) => m.cached, count, each);
  if (workers[0].measures.some((m) => m.snapshot)) {
    console.log('workflow thread heap snapshot, retained by kind:');
    row('  Activators (count)', bySnapshot((s) => s.workflows), count, each);
    for (const [label, figure] of kinds) row(label, figure, mib, kib);
  }
}

const KIND_LABELS: Record<Kind, string> = { moduleCopies: 'module copies (moduleCache)', promiseStacks: 'promise-hook stacks', workflowState: "workflows' own state (pending work, handlers)" };

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
