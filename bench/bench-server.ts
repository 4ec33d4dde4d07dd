import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startClusterTemporal, sqlServerOf } from '../scripts/stack/cluster-temporal';
import { startDevServer } from '../scripts/stack/dev-server';
import { startEmbeddedPostgres } from '../scripts/stack/postgres';
import { freePort } from '../scripts/stack/processes';
import { resolveClusterBinaries } from '../scripts/stack/temporal-binaries';
import { resolveTemporalCli } from '../scripts/stack/temporal-cli';

// The Temporal server a benchmark runs on: the dev server (SQLite), or the cluster profile's server on PostgreSQL.

export type ServerKind = 'dev' | 'cluster';

export interface BenchServer {
  kind: ServerKind;
  address: string;
  /** The server's process: all of its services, for the dev server and for the cluster profile's server alike. */
  pid: number;
  /** The cluster server's own PostgreSQL, which holds nothing but its temporal and temporal_visibility databases. */
  postgres?: { url: string; pid: number };
  stop(): Promise<void>;
}

export async function startBenchServer(kind: ServerKind, workDir: string, { keepState = false } = {}): Promise<BenchServer> {
  return kind === 'cluster' ? startBenchClusterServer(workDir) : startBenchDevServer(workDir, keepState);
}

async function startBenchDevServer(workDir: string, keepState: boolean): Promise<BenchServer> {
  const server = await startDevServer({
    cliPath: await resolveTemporalCli(),
    port: await freePort(),
    // In memory unless asked: a file costs the server writes that a benchmark of the worker does not measure.
    dbFile: keepState ? path.join(workDir, 'temporal.db') : undefined,
    logFile: path.join(workDir, 'temporal.log'),
  });
  return { kind: 'dev', address: server.address, pid: server.process.pid!, stop: () => server.stop() };
}

/**
 * The server of the cluster profile (`make up STACK=cluster`), from the same binaries, config and schema tool, on a
 * PostgreSQL of its own, durable as the profile's is: that PostgreSQL's statistics and WAL are then the server's
 * writes alone, apart from the benchmark's audit database.
 */
async function startBenchClusterServer(workDir: string): Promise<BenchServer> {
  const log = (line: string) => console.log(`  ${line}`);
  const binaries = await resolveClusterBinaries(log);
  const dataDir = path.join(workDir, 'temporal-pg');
  const postgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), logFile: path.join(workDir, 'temporal-postgres.log'), database: 'postgres', durable: true });
  try {
    const temporal = await startClusterTemporal({
      binaries,
      sql: sqlServerOf(postgres.url),
      port: await freePort(),
      namespace: 'default',
      stateDir: path.join(workDir, 'temporal'),
      logDir: workDir,
      log,
    });
    return {
      kind: 'cluster',
      address: temporal.address,
      pid: temporal.supervisor.process.pid!,
      postgres: { url: postgres.url, pid: postmasterPid(dataDir)! },
      async stop() {
        await temporal.stop();
        await postgres.stop();
      },
    };
  } catch (err) {
    await postgres.stop();
    throw err;
  }
}

/** The postmaster of the PostgreSQL whose data is in dataDir, when it runs from there. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}
