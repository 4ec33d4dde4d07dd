import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describeDatabaseUrl } from '../../store/database';
import { startDevServer } from './dev-server';
import { assertPortFree, ManagedProcess, tailOfFile, waitUntil } from './processes';
import { WorkerSupervisor } from './worker-supervisor';
import { JEMALLOC_PATH, jemallocInstalled, workerAllocatorEnv } from './worker-allocator';
import { assertDatabaseReachable, startEmbeddedPostgres } from './postgres';
import { resolveTemporalCli } from './temporal-cli';
import { type LocalS3, startLocalS3 } from './local-s3';
import { resolveSeaweedfs } from './seaweedfs-binary';
import { ensureSearchAttributes } from './search-attributes';
import { Connection } from '@temporalio/client';
import { OperatorError } from '../../config/operator-error';
import { prettyFactory } from 'pino-pretty';
import { PRETTY_OPTIONS } from '../../workers/logger';
import { resolveTemporalTarget, temporalConnection } from '../../config/temporal-connection';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** Everything the local stack keeps between runs; `make reset` deletes it. AUDIT_DATA_DIR moves it (tests do). */
export const DATA_DIR = process.env.AUDIT_DATA_DIR ? path.resolve(process.env.AUDIT_DATA_DIR) : path.join(PROJECT_ROOT, '.data');
const LOG_DIR = path.join(DATA_DIR, 'logs');

export const portFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OperatorError(`${name}=${raw} is not a port number (1-65535)`);
  return port;
};

export interface LocalStack {
  env: Record<string, string>;
  uiUrl?: string;
  /** The local S3 server, when asked for. */
  s3?: LocalS3;
  /** Stops what this stack started, newest first. */
  stop(): Promise<void>;
}

/**
 * A worker's young generation, larger than the default. A page of 500 events allocates a few megabytes that die young;
 * with the default semi-space the collector runs several times a page and costs a fifth of the worker's CPU time
 * during a backfill (measured with bench:backfill). The image's CMD (Dockerfile) passes the same.
 */
export const WORKER_HEAP_FLAGS = ['--max-semi-space-size=64'];

/** How a worker process runs from the sources: those heap flags, and TypeScript through tsx's loader. */
export const WORKER_NODE_FLAGS = [...WORKER_HEAP_FLAGS, '--import', 'tsx'];

type Stoppable = { name: string; stop(): Promise<void> };

/**
 * Temporal (the dev server unless TEMPORAL_ADDRESS names one), PostgreSQL (embedded unless DATABASE_URL is set), the
 * local S3 server when asked for, and one worker process. Returns the environment that operator scripts need to reach
 * them.
 */
export async function startLocalStack(log: (line: string) => void, extraEnv: Record<string, string> = {}, options: { localS3?: boolean } = {}): Promise<LocalStack> {
  mkdirSync(LOG_DIR, { recursive: true });
  const started: Stoppable[] = [];
  const stop = async () => {
    for (const part of started.reverse()) {
      log(`stopping ${part.name}`);
      await part.stop().catch((err: Error) => log(`  ${part.name}: ${err.message}`));
    }
  };
  try {
    const env: Record<string, string> = { ...extraEnv };
    let uiUrl: string | undefined;
    const namespace = resolveTemporalTarget().namespace;
    // Everything that can fail without side effects comes first, so a bad environment fails before anything starts.
    const devServer = process.env.TEMPORAL_ADDRESS
      ? undefined
      : { cliPath: await resolveTemporalCli(log), port: portFromEnv('TEMPORAL_PORT', 7233), uiPort: portFromEnv('TEMPORAL_UI_PORT', 8233) };
    // A server of one's own is reached with the TLS settings and API key the worker will use; their files are read now.
    const temporal = devServer ? undefined : temporalConnection();
    if (devServer) {
      await assertPortFree(devServer.port, 'Temporal frontend', 'TEMPORAL_PORT');
      await assertPortFree(devServer.uiPort, 'Temporal Web UI', 'TEMPORAL_UI_PORT');
    }
    const s3 = options.localS3 ? { weedPath: await resolveSeaweedfs(log), port: portFromEnv('S3_PORT', 8333) } : undefined;
    if (s3) await assertPortFree(s3.port, 'S3 server', 'S3_PORT');

    if (process.env.DATABASE_URL) {
      await assertDatabaseReachable(process.env.DATABASE_URL);
      env.DATABASE_URL = process.env.DATABASE_URL;
      log(`PostgreSQL: ${describeDatabaseUrl(env.DATABASE_URL)} (DATABASE_URL)`);
    } else {
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(DATA_DIR, 'pg'),
        port: portFromEnv('POSTGRES_PORT', 54329),
        logFile: path.join(LOG_DIR, 'postgres.log'),
        database: 'audit',
        durable: true,
        supervise: log,
      });
      started.push({ name: 'PostgreSQL', stop: pg.stop });
      env.DATABASE_URL = pg.url;
      log(`PostgreSQL: embedded, data in ${path.join(DATA_DIR, 'pg')}, ${describeDatabaseUrl(pg.url)}`);
    }

    if (!devServer) {
      env.TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS!;
      await temporal!.checkTls();
      const connection = await Connection.connect({ ...temporal!.options, connectTimeout: 5000 }).catch(async (err: unknown) => {
        throw new OperatorError(await temporal!.describeFailure(err));
      });
      await ensureSearchAttributes(connection, namespace);
      await connection.close();
      log(`Temporal: ${env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS)`);
    } else {
      const server = await startDevServer({
        ...devServer,
        dbFile: path.join(DATA_DIR, 'temporal.db'),
        logFile: path.join(LOG_DIR, 'temporal.log'),
        namespace,
        supervise: log,
      });
      started.push({ name: 'Temporal dev server', stop: server.stop });
      env.TEMPORAL_ADDRESS = server.address;
      uiUrl = server.uiUrl;
      // Slack notices link to the source's workflow there.
      if (uiUrl) env.TEMPORAL_UI_URL = uiUrl;
      log(`Temporal: dev server at ${server.address}, state in ${path.join(DATA_DIR, 'temporal.db')}`);
    }
    env.TEMPORAL_NAMESPACE = namespace;

    let localS3: LocalS3 | undefined;
    if (s3) {
      localS3 = await startLocalS3(s3.weedPath, path.join(DATA_DIR, 's3'), path.join(LOG_DIR, 's3.log'), s3.port, log);
      started.push({ name: 'S3 server', stop: localS3.server.stop });
      log(`S3: SeaweedFS at ${localS3.server.endpoint} (region ${localS3.server.region}, path-style), objects in ${localS3.dataDir}, keys in ${localS3.keysFile}`);
    }

    const worker = await startSupervisedWorker(env, path.join(LOG_DIR, 'worker.log'), log);
    started.push({ name: 'worker', stop: () => worker.stop() });
    return { env, uiUrl, s3: localS3, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

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

/** The demo's own credentials key, created once: the demo must run with no setup, production sets CREDENTIALS_KEY. */
export function demoCredentialsKey(): string {
  const file = path.join(DATA_DIR, 'credentials.key');
  if (!existsSync(file)) {
    mkdirSync(DATA_DIR, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

/**
 * Resolves on the first Ctrl-C or SIGTERM. The handlers stay installed: a terminal's Ctrl-C reaches npm and tsx too,
 * which pass it on, and a second SIGINT must not kill this process while it is still stopping what it started.
 */
export function untilInterrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) return;
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
