import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { OperatorError } from '../../config/operator-error';
import { startClusterTemporal, sqlServerOf, type ClusterTemporal } from './cluster-temporal';
import { startClusterUi } from './cluster-ui';
import type { LocalStack } from './local-stack';
import { assertDatabaseReachable, type RunningDatabase } from './postgres';
import { assertPortFree } from './processes';
import { startStackDatabase } from './stack-database';
import { StartedParts } from './started-parts';
import { DATA_DIR, portFromEnv } from './stack-settings';
import { startSupervisedWorker } from './supervised-worker';
import { resolveClusterBinaries } from './temporal-binaries';
import { TEMPORAL_SERVER_VERSION } from './temporal-versions';
import type { WorkerSupervisor } from './worker-supervisor';

export interface ClusterStack extends LocalStack {
  temporal: ClusterTemporal;
  workers: WorkerSupervisor[];
  /** The embedded PostgreSQL, when DATABASE_URL did not name a server. */
  database?: RunningDatabase;
}

export interface ClusterOptions {
  workers: number;
  /** Everything the profile keeps: its own PostgreSQL data, the server's state, logs. */
  dataDir?: string;
  temporalPort?: number;
  uiPort?: number;
  postgresPort?: number;
  /** DATABASE_URL's server instead of the embedded one. */
  databaseUrl?: string;
  /** Extra environment for the workers (the chaos run's short silence windows). */
  workerEnv?: Record<string, string>;
}

/** WORKERS=N, 1 to 16: more workers than that on one machine only measures the machine. */
export function workersFromEnv(): number {
  const raw = process.env.WORKERS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new OperatorError(`WORKERS=${raw} is not a number of workers (1-16)`);
  return n;
}

/**
 * The cluster profile (`make up STACK=cluster`): the topology docker-compose.yml deploys, without Docker. PostgreSQL
 * holds Temporal's two databases and the audit database; the Temporal server runs on it with SQL visibility; the Web
 * UI server; N workers on one task queue. Every process is supervised. stop() stops them newest first.
 */
export async function startClusterStack(log: (line: string) => void, options: ClusterOptions): Promise<ClusterStack> {
  const dataDir = options.dataDir ?? path.join(DATA_DIR, 'cluster');
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const temporalPort = options.temporalPort ?? portFromEnv('TEMPORAL_PORT', 7233);
  const uiPort = options.uiPort ?? portFromEnv('TEMPORAL_UI_PORT', 8080);
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const started = new StartedParts(log);
  try {
    // What can fail without side effects first: ports, the database, the builds.
    await assertPortFree(temporalPort, 'Temporal frontend', 'TEMPORAL_PORT');
    await assertPortFree(uiPort, 'Temporal Web UI', 'TEMPORAL_UI_PORT');
    if (options.databaseUrl) await assertDatabaseReachable(options.databaseUrl);
    const binaries = await resolveClusterBinaries(log);

    const env: Record<string, string> = { ...options.workerEnv };
    const { url, embedded: database } = await startStackDatabase({ databaseUrl: options.databaseUrl, dataDir, logDir, port: options.postgresPort, log });
    if (database) started.add('PostgreSQL', database.stop);
    env.DATABASE_URL = url;

    log('Temporal: setting up the schema of the temporal and temporal_visibility databases with temporal-sql-tool, starting the server');
    const temporal = await startClusterTemporal({ binaries, sql: sqlServerOf(env.DATABASE_URL), port: temporalPort, namespace, stateDir: path.join(dataDir, 'temporal'), logDir, log });
    started.add('Temporal server', temporal.stop);
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_NAMESPACE = namespace;
    log(`Temporal: server v${TEMPORAL_SERVER_VERSION} at ${temporal.address} on PostgreSQL, log in ${path.join(logDir, 'temporal-server.log')}`);

    const ui = await startClusterUi({ uiServer: binaries.uiServer, temporalAddress: temporal.address, port: uiPort, stateDir: path.join(dataDir, 'temporal'), logDir, log });
    started.add('Temporal Web UI', ui.stop);
    // Slack notices link to the source's workflow there.
    env.TEMPORAL_UI_URL = ui.url;

    // The first worker migrates the audit database; the others start once it has, side by side. All stop together.
    const workers: WorkerSupervisor[] = [];
    started.add(options.workers === 1 ? 'worker' : `${options.workers} workers`, async () => void (await Promise.all(workers.map((w) => w.stop()))));
    const workerName = (i: number) => (options.workers === 1 ? 'worker' : `worker ${i + 1}`);
    const workerLog = (i: number) => path.join(logDir, options.workers === 1 ? 'worker.log' : `worker-${i + 1}.log`);
    workers.push(await startSupervisedWorker(env, workerLog(0), log, workerName(0)));
    const starting = Array.from({ length: options.workers - 1 }, (_, i) => startSupervisedWorker(env, workerLog(i + 1), log, workerName(i + 1)));
    for (const result of await Promise.allSettled(starting)) {
      if (result.status === 'fulfilled') workers.push(result.value);
    }
    const failed = (await Promise.allSettled(starting)).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return { env, uiUrl: ui.url, stop: started.stop, temporal, workers, database };
  } catch (err) {
    await started.stop();
    throw err;
  }
}
