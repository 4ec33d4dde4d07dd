import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { OperatorError } from '../../config/operator-error';
import { isPortFree, ManagedProcess, tailOfFile, waitUntil } from './processes';
import { ensureSearchAttributes } from './search-attributes';
import type { ClusterBinaries } from './temporal-binaries';
import { WorkerSupervisor } from './worker-supervisor';

const execFileAsync = promisify(execFile);
/** The files shared with docker-compose.yml. */
export const TEMPORAL_FILES = path.join(__dirname, 'temporal');
export const DYNAMIC_CONFIG_FILE = path.join(TEMPORAL_FILES, 'dynamicconfig.yaml');
const NAMESPACE_RETENTION_SECONDS = 30 * 24 * 3600;

/** Where PostgreSQL is, as the server and temporal-sql-tool need it. */
export interface SqlServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function sqlServerOf(databaseUrl: string): SqlServer {
  const url = new URL(databaseUrl);
  return { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/** Internal ports of the server's four services; the frontend's port is the operator's (TEMPORAL_PORT). */
const INTERNAL_PORTS = [
  'FRONTEND_MEMBERSHIP_PORT',
  'FRONTEND_HTTP_PORT',
  'HISTORY_GRPC_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT',
  'WORKER_MEMBERSHIP_PORT',
] as const;

/**
 * The internal ports, kept in the state folder and reused: the server records its members' addresses in PostgreSQL,
 * and a restart on the same addresses rejoins at once, where new ones would wait for the old members to expire.
 */
async function internalPorts(stateDir: string): Promise<Record<string, string>> {
  const file = path.join(stateDir, 'temporal-ports.json');
  let ports: Record<string, string> = {};
  try {
    ports = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    // First run.
  }
  const taken = new Set<string>();
  for (const name of INTERNAL_PORTS) {
    if (!ports[name] || taken.has(ports[name]) || !(await isPortFree(Number(ports[name])))) ports[name] = String(await freePortBelowEphemeral(taken));
    taken.add(ports[name]);
  }
  writeFileSync(file, JSON.stringify(ports, null, 2));
  return ports;
}

/**
 * The server stores membership ports in a smallint column, so they must stay below 32768, where the kernel's
 * ephemeral ports (what freePort() returns) begin.
 */
async function freePortBelowEphemeral(taken: Set<string>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.has(String(port)) && (await isPortFree(port))) return port;
  }
}

/**
 * The same environment variable names as the temporalio/server image in docker-compose.yml reads (the config file
 * scripts/stack/temporal/server/cluster.yaml uses them); test/foundation/compose-lockstep.unit.test.ts holds them equal.
 */
export function serverEnvironment(sql: SqlServer, frontendPort: number, ports: Record<string, string>): Record<string, string> {
  return {
    DB: 'postgres12',
    DB_PORT: String(sql.port),
    POSTGRES_SEEDS: sql.host,
    POSTGRES_USER: sql.user,
    POSTGRES_PWD: sql.password,
    DBNAME: 'temporal',
    VISIBILITY_DBNAME: 'temporal_visibility',
    BIND_ON_IP: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    FRONTEND_GRPC_PORT: String(frontendPort),
    ...ports,
  };
}

/** What setup-schema.sh reads, under the names compose's schema job gives it too. */
export function schemaEnvironment(binaries: Pick<ClusterBinaries, 'sqlTool' | 'schemaDir'>, sql: SqlServer): Record<string, string> {
  return {
    SQL_TOOL: binaries.sqlTool,
    SCHEMA_DIR: binaries.schemaDir,
    SQL_HOST: sql.host,
    SQL_PORT: String(sql.port),
    SQL_USER: sql.user,
    SQL_PASSWORD: sql.password,
    DBNAME: 'temporal',
    VISIBILITY_DBNAME: 'temporal_visibility',
  };
}

/** Creates the two databases and sets up or upgrades their schema with the script compose's schema job runs too. */
export async function setupSchema(binaries: ClusterBinaries, sql: SqlServer): Promise<void> {
  try {
    await execFileAsync('sh', [path.join(TEMPORAL_FILES, 'setup-schema.sh')], {
      env: { PATH: process.env.PATH, ...schemaEnvironment(binaries, sql) },
      timeout: 120_000,
    });
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    const tail = `${stdout ?? ''}${stderr ?? ''}`.trim().split('\n').slice(-10).join('\n');
    throw new OperatorError(`setting up Temporal's schema with temporal-sql-tool failed:\n${tail}`);
  }
}

export interface ClusterTemporal {
  address: string;
  supervisor: WorkerSupervisor;
  /** Resolves when the frontend answers for the namespace again (after a restart, say). */
  untilAnswering(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterTemporalOptions {
  binaries: ClusterBinaries;
  sql: SqlServer;
  port: number;
  namespace: string;
  stateDir: string;
  logDir: string;
  log: (line: string) => void;
}

/**
 * The Temporal server on PostgreSQL with SQL visibility, all four services in one supervised process, from the
 * config file in the repo; then the namespace and the search attributes, as compose's temporal-setup job does.
 */
export async function startClusterTemporal(options: ClusterTemporalOptions): Promise<ClusterTemporal> {
  const { binaries, sql, port, namespace, log } = options;
  mkdirSync(options.stateDir, { recursive: true });
  await setupSchema(binaries, sql);
  const env = { ...process.env, ...serverEnvironment(sql, port, await internalPorts(options.stateDir)) };
  const logFile = path.join(options.logDir, 'temporal-server.log');
  const args = ['--root', '/', '--config', path.join(TEMPORAL_FILES, 'server'), '--env', 'cluster', '--allow-no-auth', 'start'];
  const supervisor = new WorkerSupervisor(() => new ManagedProcess('temporal-server', binaries.server, args, logFile, { env, cwd: options.stateDir }), log, 'Temporal server');
  const address = `127.0.0.1:${port}`;

  const untilAnswering = async (timeoutMs = 90_000) => {
    let connection: Connection | undefined;
    try {
      await waitUntil(
        async () => {
          connection ??= await Connection.connect({ address, connectTimeout: 1000 });
          await connection.workflowService.getSystemInfo({});
          return true;
        },
        { timeoutMs, intervalMs: 200, failure: () => `the Temporal server did not answer at ${address} within ${timeoutMs / 1000} s (log: ${logFile}):\n${tailOfFile(logFile)}` },
      );
    } finally {
      await connection?.close();
    }
  };

  try {
    await waitUntil(async () => (await untilAnswering(1000).then(() => true)), {
      timeoutMs: 90_000,
      intervalMs: 500,
      failure: () => `the Temporal server did not answer at ${address} within 90 s (log: ${logFile}):\n${tailOfFile(logFile)}`,
      abort: () => (supervisor.process.running ? undefined : `the Temporal server exited at start (log: ${logFile}):\n${tailOfFile(logFile)}`),
    });
    await registerNamespace(address, namespace);
  } catch (err) {
    await supervisor.stop();
    throw err;
  }
  supervisor.keepRunning();
  return { address, supervisor, untilAnswering, stop: () => supervisor.stop(30_000) };
}

/** The namespace, then the search attributes on SQL visibility; both kept when they exist. */
async function registerNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const exists = await connection.workflowService.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION_SECONDS * 1000) });
    }
    // A new namespace reaches the frontend's cache within its refresh interval (about 10 s).
    await waitUntil(
      async () => {
        await ensureSearchAttributes(connection, namespace);
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500, failure: () => `the namespace ${namespace} did not become usable within 60 s` },
    );
  } finally {
    await connection.close();
  }
}
