import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV } from '../config/api-base-urls';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { freePort } from '../scripts/stack/processes';
import { createThrowawayDatabase, startEmbeddedPostgres } from '../scripts/stack/postgres';
import { resolveTemporalCli } from '../scripts/stack/temporal-cli';
import { env, s3PidFile } from './env';
import { startTestTemporal, stopProcessGroup, temporalPidFile } from './temporal';

export async function startTestStack(): Promise<void> {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'audit-source-test-'));
  // The embedded server runs as the unprivileged 'postgres' user when we are root: it must be able to enter this dir.
  chmodSync(runDir, 0o755);
  const cliPath = await resolveTemporalCli();
  const [temporal, database] = await Promise.all([
    startTemporalOnAFreePort(runDir, cliPath),
    process.env.DATABASE_URL
      ? createThrowawayDatabase(process.env.DATABASE_URL, `audit_test_${process.pid}_${Date.now()}`)
      : freePort().then((port) =>
          startEmbeddedPostgres({ dataDir: path.join(runDir, 'pg'), port, logFile: path.join(runDir, 'postgres.log'), database: 'audit_test', durable: false }),
        ),
  ]);
  (globalThis as Record<string, unknown>).__auditTestDatabase = database;

  const db = openDatabase(database.url);
  await migrate(db);
  await db.close();

  // Bundling workflow code takes seconds; do it once so that each test's worker starts in milliseconds.
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger });
  const bundlePath = path.join(runDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  Object.assign(process.env, {
    [env.runDir]: runDir,
    [env.temporalCli]: cliPath,
    [env.temporalDbFile]: path.join(runDir, 'temporal.db'),
    [env.temporalPort]: temporal.address.split(':')[1],
    [env.workflowBundle]: bundlePath,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    DATABASE_URL: database.url,
    // Simulators and webhook receivers answer on http://127.0.0.1; each simulator allow-lists itself (harness/simulator.ts).
    [ALLOW_INSECURE_LOOPBACK_HTTP_ENV]: 'true',
    // The simulator and the webhook receivers listen on 127.0.0.1, allowed as an operator would allow a relay; the
    // rest of loopback stays refused, so that tests of the outbound guard can aim at 127.0.0.2.
    OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
  });
}

/**
 * A port found free can be taken by another process before the server binds it (other test runs, benchmarks): such a
 * start is tried again on another port rather than failing the whole run.
 */
async function startTemporalOnAFreePort(runDir: string, cliPath: string, attempts = 3): ReturnType<typeof startTestTemporal> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestTemporal(runDir, cliPath, await freePort());
    } catch (err) {
      if (attempt >= attempts || !/address already in use|already in use/.test((err as Error).message)) throw err;
    }
  }
}

export async function stopTestStack(): Promise<void> {
  const runDir = process.env[env.runDir];
  const database = (globalThis as Record<string, unknown>).__auditTestDatabase as { stop(): Promise<void> } | undefined;
  await database?.stop();
  if (!runDir) return;
  const pid = Number(readFileSync(temporalPidFile(runDir), 'utf8'));
  await stopProcessGroup(pid);
  // Started only by the tests that needed one.
  if (existsSync(s3PidFile(runDir))) await stopProcessGroup(Number(readFileSync(s3PidFile(runDir), 'utf8')));
  if (!process.env.KEEP_TEST_RUN_DIR) rmSync(runDir, { recursive: true, force: true });
}

/** The workflow bundler's logger with webpack's chatter left out: warnings and errors only. */
export const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`${message}\n`),
  error: (message: string) => process.stderr.write(`${message}\n`),
};
