import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { prettyFactory } from 'pino-pretty';
import { PRETTY_OPTIONS } from '../../workers/logger';
import { ManagedProcess, tailOfFile, waitUntil } from './processes';
import { PROJECT_ROOT } from './stack-settings';
import { JEMALLOC_PATH, jemallocInstalled, workerAllocatorEnv } from './worker-allocator';
import { WorkerSupervisor } from './worker-supervisor';

/**
 * A worker's young generation, larger than the default. A page of 500 events allocates a few megabytes that die young;
 * with the default semi-space the collector runs several times a page, a large share of a backfill's CPU
 * (`npm run bench:backfill` shows it). The image's CMD (Dockerfile) passes the same.
 */
export const WORKER_HEAP_FLAGS = ['--max-semi-space-size=64'];

/** How a worker process runs from the sources: those heap flags, and TypeScript through tsx's loader. */
export const WORKER_NODE_FLAGS = [...WORKER_HEAP_FLAGS, '--import', 'tsx'];

/**
 * One worker process, started and watched until it polls, then supervised: a worker that cannot start is a
 * configuration problem to report; one that dies later is restarted. On failure at start it is stopped again.
 */
export async function startSupervisedWorker(env: Record<string, string>, logFile: string, log: (line: string) => void, name = 'worker'): Promise<WorkerSupervisor> {
  // The log is appended to across runs: only what this start writes counts.
  const startedAt = existsSync(logFile) ? statSync(logFile).size : 0;
  if (!jemallocInstalled()) log(`${name}: runs on glibc's malloc, which holds more memory than the image's jemalloc (not found at ${JEMALLOC_PATH}: apt-get install libjemalloc2)`);
  const worker = new WorkerSupervisor(
    () =>
      new ManagedProcess(name, process.execPath, [...WORKER_NODE_FLAGS, path.join(PROJECT_ROOT, 'workers', 'main.ts')], logFile, {
        env: { ...process.env, ...env, ...workerAllocatorEnv() },
        cwd: PROJECT_ROOT,
      }),
    log,
    name,
  );
  try {
    await waitUntil(async () => readFileSync(logFile, 'utf8').slice(startedAt).includes('worker polling'), {
      timeoutMs: 120_000,
      failure: () => `the ${name} did not start within 120 s (log: ${logFile}):\n${readableTail(logFile)}`,
      abort: () => (worker.process.running ? undefined : `the ${name} exited at start (log: ${logFile}):\n${readableTail(logFile)}`),
    });
  } catch (err) {
    await worker.stop();
    throw err;
  }
  worker.keepRunning();
  log(`${name}: running (pid ${worker.process.pid}), log in ${logFile}`);
  return worker;
}

/** The end of a worker's log with its JSON lines in the readable form; other lines (a one-line error) as they are. */
function readableTail(logFile: string): string {
  const readable = prettyFactory(PRETTY_OPTIONS);
  return tailOfFile(logFile)
    .split('\n')
    .map((line) => readable(line).trimEnd())
    .join('\n');
}
