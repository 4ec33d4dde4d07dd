import path from 'node:path';
import { ManagedProcess, tailOfFile, waitUntil } from './processes';
import { TEMPORAL_FILES } from './cluster-temporal';
import { WorkerSupervisor } from './worker-supervisor';

/** The Temporal Web UI server, on the config file that reads the temporalio/ui image's variables. */
export async function startClusterUi(options: { uiServer: string; temporalAddress: string; port: number; stateDir: string; logDir: string; log: (line: string) => void }) {
  const logFile = path.join(options.logDir, 'temporal-ui.log');
  const env = { ...process.env, TEMPORAL_ADDRESS: options.temporalAddress, TEMPORAL_UI_PORT: String(options.port) };
  const args = ['--root', '/', '--config', path.join(TEMPORAL_FILES, 'ui'), '--env', 'cluster', 'start'];
  const supervisor = new WorkerSupervisor(() => new ManagedProcess('temporal-ui', options.uiServer, args, logFile, { env, cwd: options.stateDir }), options.log, 'Temporal Web UI');
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntil(async () => (await fetch(url)).ok, {
      timeoutMs: 30_000,
      failure: () => `the Temporal Web UI did not answer at ${url} within 30 s (log: ${logFile}):\n${tailOfFile(logFile)}`,
      abort: () => (supervisor.process.running ? undefined : `the Temporal Web UI exited at start (log: ${logFile}):\n${tailOfFile(logFile)}`),
    });
  } catch (err) {
    await supervisor.stop();
    throw err;
  }
  supervisor.keepRunning();
  return { url: `http://localhost:${options.port}`, stop: () => supervisor.stop() };
}
