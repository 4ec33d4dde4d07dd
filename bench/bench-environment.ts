import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActivityDependencies } from '../activities';
import { createActivities } from '../activities';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { insertSource, newSourceKey, SourceRecord } from '../store/sources';
import { freePort } from '../scripts/stack/processes';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV } from '../config/api-base-urls';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../harness/simulator';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { createWorkers, runWorkers } from '../workers/create-worker';
import { createThrowawayDatabase, RunningDatabase, startEmbeddedPostgres } from '../scripts/stack/postgres';
import { StartedParts } from '../scripts/stack/started-parts';
import { startBenchServer, type BenchServer, type ServerKind } from './bench-server';

export const DAY_MS = 24 * 3600_000;

// Benchmarks aim workers and the CLI at the simulator on 127.0.0.1: allowed here, as the operator would allow a relay.
process.env.OUTBOUND_ALLOWED_NETWORKS ||= '127.0.0.0/8';

/** A fresh temporary directory for a benchmark's databases, readable by the user embedded PostgreSQL runs as. */
export function benchWorkDir(name: string): string {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `audit-bench-${name}-`));
  chmodSync(workDir, 0o755);
  return workDir;
}

/**
 * DATABASE_URL's server (in a throwaway database), or an embedded PostgreSQL with fsync off: the faster store makes
 * every overhead on top of it look larger, which is the conservative way to measure one.
 */
export async function openBenchDatabase(workDir: string): Promise<RunningDatabase> {
  if (process.env.DATABASE_URL) return createThrowawayDatabase(process.env.DATABASE_URL, `audit_bench_${process.pid}_${Date.now()}`);
  return startEmbeddedPostgres({
    dataDir: path.join(workDir, 'pg'),
    port: await freePort(),
    logFile: path.join(workDir, 'postgres.log'),
    database: 'audit_bench',
    durable: false,
  });
}

export function insertBenchSource(
  db: Database,
  cipher: CredentialCipher,
  name: string,
  org: { organizationId: string; apiKey: string; apiBaseUrl: string },
  settings: { pollIntervalSeconds?: number; silenceWindowSeconds?: number } = {},
): Promise<SourceRecord> {
  return insertSource(db, {
    name,
    organizationId: org.organizationId,
    ...newSourceKey(cipher, org.apiKey),
    apiBaseUrl: org.apiBaseUrl,
    pollIntervalSeconds: 60,
    silenceWindowSeconds: DAY_MS / 1000,
    silenceAlertEnabled: true,
    backfillDays: 7,
    apiKeyExpiresAt: null,
    ...settings,
  });
}

/** The ingestPage activity itself, page after page in a plain loop: the same client and store with no Temporal. */
export async function plainBackfill(deps: ActivityDependencies, sourceId: string): Promise<number> {
  const backfill = steppedBackfill(deps, sourceId);
  while (!backfill.done) await backfill.pages(Number.POSITIVE_INFINITY);
  return backfill.events;
}

/** plainBackfill a few pages at a time, for benchmarks that interleave backfills to compare them under equal load. */
export function steppedBackfill(deps: ActivityDependencies, sourceId: string) {
  const { ingestPage } = createActivities(deps);
  const activity = new MockActivityEnvironment();
  const state = {
    events: 0,
    done: false,
    async pages(count: number): Promise<void> {
      for (let page = 0; page < count && !state.done; page++) {
        const summary = (await activity.run(ingestPage, { sourceId })) as Awaited<ReturnType<typeof ingestPage>>;
        state.events += summary.inserted;
        state.done = !summary.hasMore;
      }
    },
  };
  return state;
}

/**
 * Leaves nothing of earlier runs for a timed one to pay for: no autovacuum of their rows, no checkpoint writing their
 * pages out.
 */
export async function settleStore(db: Pick<Database, 'query'>): Promise<void> {
  await db.query('VACUUM ANALYZE');
  await db.query('CHECKPOINT');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The operator CLI in a process of its own, as an operator runs it; resolves with its stdout, rejects with its error. */
export function runSourceCli(args: string[], env: Record<string, string | undefined>): Promise<string> {
  const bin = path.join(__dirname, '..', 'bin', 'atlassian-audit');
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`source ${args[0]} exited with ${code}: ${stderr.trim()}`)))),
  );
}

/** What every benchmark reads of its simulator, in this process or in one of its own. */
export type BenchSimulator = Pick<RunningSimulator, 'url' | 'orgs' | 'close'>;

export interface BenchStack<Simulator extends BenchSimulator = RunningSimulator> {
  workDir: string;
  database: RunningDatabase;
  /** The benchmark's database, migrated. */
  db: Database;
  simulator: Simulator;
  server: BenchServer;
  client: Client;
  close(): Promise<void>;
}

/**
 * A Temporal server (the dev server unless asked), a PostgreSQL (see openBenchDatabase) and a simulator, all the
 * benchmark's own; close() removes them.
 */
export function openBenchStack(name: string, simulatorOptions: SimulatorOptions, options: BenchStackOptions = {}): Promise<BenchStack> {
  return openBenchStackWith(name, () => startSimulator(simulatorOptions), options);
}

interface BenchStackOptions {
  keepTemporalState?: boolean;
  server?: ServerKind;
}

/** openBenchStack with the simulator `startSimulator` starts, such as one in a process of its own. */
export async function openBenchStackWith<Simulator extends BenchSimulator>(
  name: string,
  startSimulator: () => Promise<Simulator>,
  { keepTemporalState = false, server: serverKind = 'dev' }: BenchStackOptions = {},
): Promise<BenchStack<Simulator>> {
  const workDir = benchWorkDir(name);
  // A part that fails to start leaves the ones before it stopped, and no temporary folder behind.
  const started = new StartedParts((line) => console.error(line));
  started.add('the work folder', async () => rmSync(workDir, { recursive: true, force: true }));
  try {
    const database = await openBenchDatabase(workDir);
    started.add('PostgreSQL', () => database.stop());
    const db = openDatabase(database.url);
    started.add('the database pool', () => db.close());
    await migrate(db);
    // The simulator answers on loopback http and allow-lists itself for this process's workers (harness/simulator.ts).
    process.env[ALLOW_INSECURE_LOOPBACK_HTTP_ENV] = 'true';
    const simulator = await startSimulator();
    started.add('the simulator', () => simulator.close());
    const server = await startBenchServer(serverKind, workDir, { keepState: keepTemporalState });
    started.add('the Temporal server', () => server.stop());
    const connection = await Connection.connect({ address: server.address });
    started.add('the client connection', () => connection.close());
    return { workDir, database, db, simulator, server, client: new Client({ connection }), close: started.stop };
  } catch (err) {
    await started.stop();
    throw err;
  }
}

/** A worker in this process on the stack's server; stop() drains it, telling its activities first, as workers/main.ts does. */
export async function runBenchWorker(stack: BenchStack<BenchSimulator>, deps: ActivityDependencies, taskQueue: string): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: stack.server.address });
  const stopping = new AbortController();
  const workers = await createWorkers({ connection, namespace: 'default', taskQueue }, { ...deps, workerStopping: stopping.signal });
  const running = runWorkers(workers);
  return {
    async stop() {
      stopping.abort();
      workers.main.shutdown();
      workers.watchdogs.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** How many sources have reached the end of their backfill. */
export async function countBackfilled(db: Database): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM checkpoints WHERE backfill_completed_at IS NOT NULL');
  return rows[0].n;
}

/** Until this many sources have reached the end of their backfill. */
export async function untilBackfilled(db: Database, sources: number): Promise<void> {
  while ((await countBackfilled(db)) < sources) await new Promise((resolve) => setTimeout(resolve, 20));
}
