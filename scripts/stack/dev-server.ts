import { Connection } from '@temporalio/client';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { assertPortFree, ManagedProcess, tailOfFile, waitUntil } from './processes';
import { ensureSearchAttributes, startDevSearchAttributeFlags } from './search-attributes';
import { WorkerSupervisor } from './worker-supervisor';

/**
 * Eager activity execution hands a page's activity task straight back in the workflow task's completion, saving a
 * round trip per page; production clusters enable the same setting.
 */
const DEV_DYNAMIC_CONFIG = ['system.enableActivityEagerExecution=true'];

export interface DevServerOptions {
  cliPath: string;
  /** Persistent state; without it the server keeps everything in memory. */
  dbFile?: string;
  logFile: string;
  host?: string;
  port: number;
  uiPort?: number;
  namespace?: string;
  /** How long to wait for the frontend to answer; the SDK alone would give up after 5 s. */
  startTimeoutMs?: number;
  /** The stack's output: given, a server that dies is started again after a backoff, and it says so. */
  supervise?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev`, waits until its namespace answers, and registers missing search attributes. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  await assertPortFree(options.port, 'Temporal frontend', 'TEMPORAL_PORT');
  if (options.uiPort) await assertPortFree(options.uiPort, 'Temporal Web UI', 'TEMPORAL_UI_PORT');
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });

  const args = ['server', 'start-dev', '--ip', host, '--port', String(options.port), '--namespace', namespace, '--log-level', 'warn'];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  args.push(...startDevSearchAttributeFlags());
  for (const setting of DEV_DYNAMIC_CONFIG) args.push('--dynamic-config-value', setting);
  const server = new WorkerSupervisor(() => new ManagedProcess('temporal', options.cliPath, args, options.logFile), options.supervise ?? (() => undefined), 'Temporal dev server');

  const address = `${host}:${options.port}`;
  let connection: Connection | undefined;
  try {
    await waitUntil(
      async () => {
        connection ??= await Connection.connect({ address, connectTimeout: 1000 });
        await connection.workflowService.describeNamespace({ namespace });
        return true;
      },
      {
        timeoutMs: options.startTimeoutMs ?? 60_000,
        failure: () => `the Temporal dev server did not answer at ${address} within ${(options.startTimeoutMs ?? 60_000) / 1000} s (log: ${options.logFile}):\n${tailOfFile(options.logFile)}`,
        abort: () => (server.process.running ? undefined : `the Temporal dev server exited at start (log: ${options.logFile}):\n${tailOfFile(options.logFile)}`),
      },
    );
    await ensureSearchAttributes(connection!, namespace);
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    await connection?.close();
  }
  if (options.supervise) server.keepRunning();
  return {
    address,
    namespace,
    uiUrl: options.uiPort ? `http://${host === '0.0.0.0' ? 'localhost' : host}:${options.uiPort}` : undefined,
    get process() {
      return server.process;
    },
    stop: () => server.stop(),
  };
}
