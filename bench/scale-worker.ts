import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { WORKER_HEAP_FLAGS } from '../scripts/stack/supervised-worker';
import { JEMALLOC_PATH, jemallocInstalled, workerAllocatorEnv } from '../scripts/stack/worker-allocator';
import { freePort } from '../scripts/stack/processes';
import { scrape } from '../harness/prometheus';
import { runSourceCli, type BenchStack } from './bench-environment';

// The worker of the scale benchmarks (scale.ts, scale-per-source.ts): a process of its own, compiled as the image runs
// it, on the benchmark's stack.

const ROOT = path.join(__dirname, '..');
const COUNTER = path.join(__dirname, 'idle-cycle-counts.cjs');
const STAND_IN_PAGE = path.join(__dirname, 'stand-in-page.cjs');

/** dist/ and its prebuilt workflow bundle, as the image has them. */
export function buildAsTheImage(): string {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'ignore' });
  return path.join(ROOT, 'dist', 'workflow-bundle.js');
}

export interface ScaleWorkerOptions {
  taskQueue: string;
  workflowBundle: string;
  /** WORKFLOW_CACHE_SIZE; the SDK's default when unset. */
  cache?: string;
  /** WATCHDOG_CACHE_SIZE; the product's default when unset. */
  watchdogCache?: string;
  /** The V8 old-space limit in MiB. */
  heapMiB?: string;
  allocator: 'jemalloc' | 'glibc';
  /** jemalloc's MALLOC_CONF in place of the product's; with jemalloc only. */
  mallocConf?: string;
  /** Open the DevTools protocol on a loopback port, to reach the workflow thread (worker-inspector.ts). */
  inspect?: boolean;
  /** Where the worker writes what it counts (idle-cycle-counts.cjs): nothing is counted without it. */
  countsDir?: string;
  /** Idle pages answered without their request and statements (stand-in-page.cjs): the SDK's floor of a cycle. */
  standInPage?: boolean;
}

export interface ScaleWorker {
  process: ChildProcess;
  /** The worker's environment, which the CLI shares to add sources to its task queue. */
  env: Record<string, string | undefined>;
  metricsPort: number;
  /** ws://… of the DevTools protocol, with `inspect`. */
  inspectorUrl?: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startScaleWorker(stack: BenchStack, options: ScaleWorkerOptions): Promise<ScaleWorker> {
  if (options.allocator === 'jemalloc' && !jemallocInstalled()) throw new Error(`jemalloc is not at ${JEMALLOC_PATH}: apt-get install libjemalloc2, or pass --allocator glibc`);
  const metricsPort = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: stack.database.url,
    TEMPORAL_ADDRESS: stack.server.address,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    TEMPORAL_WORKFLOW_BUNDLE: options.workflowBundle,
    CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    ATLASSIAN_API_BASE_URL: stack.simulator.url,
    ALLOW_INSECURE_LOOPBACK_HTTP: 'true',
    // The simulator is on loopback (bench-environment.ts allows it).
    OUTBOUND_ALLOWED_NETWORKS: process.env.OUTBOUND_ALLOWED_NETWORKS,
    METRICS_PORT: String(metricsPort),
    WORKFLOW_CACHE_SIZE: options.cache,
    WATCHDOG_CACHE_SIZE: options.watchdogCache,
    IDLE_CYCLE_COUNTS_DIR: options.countsDir,
    ...(options.allocator === 'jemalloc' ? workerAllocatorEnv() : {}),
    ...(options.allocator === 'jemalloc' && options.mallocConf !== undefined ? { MALLOC_CONF: options.mallocConf } : {}),
  };
  const flags = [...WORKER_HEAP_FLAGS, ...(options.heapMiB ? [`--max-old-space-size=${options.heapMiB}`] : []), ...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), ...(options.countsDir ? ['--require', COUNTER] : []), ...(options.standInPage ? ['--require', STAND_IN_PAGE] : [])];
  // Without tsx's loader in the way, as the image runs it.
  const child = spawn(process.execPath, [...flags, path.join(ROOT, 'dist', 'workers', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise((resolve) => child.once('close', resolve));
  const worker: ScaleWorker = {
    process: child,
    env,
    metricsPort,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await closed;
    },
  };
  try {
    const started = async () => output.includes('worker polling') || child.exitCode !== null;
    await until(started, 120, () => `the worker did not start:\n${output}`);
    if (child.exitCode !== null) throw new Error(`the worker did not start:\n${output}`);
  } catch (err) {
    await worker.stop();
    throw err;
  }
  worker.inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  return worker;
}

/**
 * Adds sources named `names` to the worker's task queue with `apply -f`, spread over the simulator's organizations;
 * `silenceAlert: false` leaves them without a silence watchdog.
 */
export async function applySources(stack: BenchStack, worker: ScaleWorker, names: string[], orgCount: number, interval: number, options: { silenceAlert?: boolean } = {}): Promise<void> {
  const keys = Object.fromEntries(stack.simulator.orgs.slice(0, orgCount).map((org, i) => [`AUDIT_SECRET_SCALE_KEY_${i}`, org.keys.valid]));
  const file = path.join(stack.workDir, `sources-${names[0]}.yaml`);
  const sources = names.map((name, i) => ({ name, orgId: stack.simulator.orgs[i % orgCount].id, apiKey: { env: `AUDIT_SECRET_SCALE_KEY_${i % orgCount}` }, interval, ...(options.silenceAlert === false ? { silenceAlert: false } : {}) }));
  writeFileSync(file, toYaml({ sources }));
  await runSourceCli(['apply', '-f', file], { ...worker.env, ...keys });
}

/** The SDK's sticky cache counters, from the worker's Prometheus endpoint. */
export async function stickyCache(port: number): Promise<{ size: number; hits: number; misses: number }> {
  const samples = await scrape(`http://127.0.0.1:${port}/metrics`);
  const sum = (name: string) => samples.filter((sample) => sample.name === name).reduce((total, sample) => total + sample.value, 0);
  return { size: sum('temporal_sticky_cache_size'), hits: sum('temporal_sticky_cache_hit'), misses: sum('temporal_sticky_cache_miss') };
}

export async function until(check: () => Promise<boolean>, seconds: number, failure: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(await failure());
    await sleep(500);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the worker's threads counted so far (idle-cycle-counts.cjs), summed over them. */
export function readCounts(countsDir: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const file of readdirSync(countsDir).filter((name) => name.endsWith('.json'))) {
    const counts = JSON.parse(readFileSync(path.join(countsDir, file), 'utf8')) as Record<string, number>;
    for (const [key, n] of Object.entries(counts)) sums.set(key, (sums.get(key) ?? 0) + n);
  }
  return sums;
}
