import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDevServer } from '../scripts/stack/dev-server';

/** The pid file lets a test restart the dev server and teardown still stop whichever server runs last. */
export function temporalPidFile(runDir: string): string {
  return path.join(runDir, 'temporal.pid');
}

export async function startTestTemporal(runDir: string, cliPath: string, port: number) {
  const server = await startDevServer({
    cliPath,
    port,
    dbFile: path.join(runDir, 'temporal.db'),
    logFile: path.join(runDir, 'temporal.log'),
  });
  writeFileSync(temporalPidFile(runDir), String(server.process.pid));
  return server;
}

export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Exited in time.
  }
}
