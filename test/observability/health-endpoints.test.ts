import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Client } from 'pg';
import { createThrowawayDatabase } from '../../scripts/stack/postgres';
import { freePort } from '../../scripts/stack/processes';
import { eventually } from '../../harness/sources';
import { requiredEnv } from '../../harness/env';
import { WorkerProcess } from '../../harness/worker-process';
import { dockerfileHealthcheck } from '../../harness/dockerfile';

interface Answer {
  status: number;
  body: string;
}

async function get(url: string): Promise<Answer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

/** Runs SQL as the run's server user, on its maintenance connection (not the database being cut). */
async function asServerAdmin(sql: string): Promise<void> {
  const admin = new Client({ connectionString: requiredEnv('DATABASE_URL') });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** The image's HEALTHCHECK command, run here against the worker: its exit code is what Docker would see. */
function containerHealthcheck(healthPort: number): number | null {
  const [command, ...args] = dockerfileHealthcheck();
  return spawnSync(command === 'node' ? process.execPath : command, args, { env: { HEALTH_PORT: String(healthPort) }, timeout: 10_000 }).status;
}

async function exitOf(worker: WorkerProcess): Promise<string> {
  await eventually(async () => worker.exited, (exited) => exited, 30_000, 50);
  return worker.output.trim();
}

describe('a worker with HEALTH_PORT set', () => {
  it('is live throughout, ready while Temporal, PostgreSQL and its pollers work, and 503 while PostgreSQL is unreachable', async () => {
    const name = `health_${process.pid}_${Date.now()}`;
    const database = await createThrowawayDatabase(requiredEnv('DATABASE_URL'), name);
    const port = await freePort();
    const worker = new WorkerProcess(`health-${randomUUID()}`, { DATABASE_URL: database.url, HEALTH_PORT: String(port) });
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    try {
      await worker.ready();
      const ready = await eventually(() => get(url('/readyz')), (a) => a.status === 200);
      expect(JSON.parse(ready.body)).toEqual({ ready: true, checks: { temporal: 'ok', postgres: 'ok', worker: 'ok' } });
      expect(await get(url('/livez'))).toEqual({ status: 200, body: 'ok\n' });
      expect(containerHealthcheck(port)).toBe(0);

      // The database refuses new connections and loses the ones it had: to the worker, PostgreSQL is gone.
      await asServerAdmin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await asServerAdmin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
      const notReady = await eventually(() => get(url('/readyz')), (a) => a.status === 503, 30_000, 200);
      const { ready: isReady, checks } = JSON.parse(notReady.body) as { ready: boolean; checks: Record<string, string> };
      expect(isReady).toBe(false);
      expect(checks).toMatchObject({ temporal: 'ok', worker: 'ok' });
      expect(checks.postgres).toMatch(/not currently accepting connections|terminat/);
      expect(await get(url('/livez'))).toEqual({ status: 200, body: 'ok\n' });
      expect(containerHealthcheck(port)).toBe(1);
      // The state metrics cannot be read either, and say so instead of serving stale or empty values.
      expect((await get(url('/metrics'))).status).toBe(503);

      await asServerAdmin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await eventually(() => get(url('/readyz')), (a) => a.status === 200, 30_000, 200);
      expect((await get(url('/metrics'))).body).toContain('audit_alert_deliveries{status="pending"} 0');
      expect(worker.exited).toBe(false);
    } finally {
      await asServerAdmin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
      await worker.stop();
      await database.stop();
    }
    // A graceful stop also closes the endpoints: stop() above returned because the process ended.
    await expect(get(url('/livez'))).rejects.toThrow();
  });

  it('refuses a bad port, or one in use, in one line', async () => {
    const badPort = new WorkerProcess(`health-${randomUUID()}`, { HEALTH_PORT: '70000' });
    expect(await exitOf(badPort)).toBe('error: HEALTH_PORT: must be a port number from 1 to 65535');

    const taken = await freePort();
    const holder: Server = await new Promise((resolve) => {
      const server = createServer().listen(taken, '0.0.0.0', () => resolve(server));
    });
    try {
      const metricsInUse = new WorkerProcess(`health-${randomUUID()}`, { METRICS_PORT: String(taken) });
      expect(await exitOf(metricsInUse)).toBe(`error: cannot serve metrics on port ${taken} (METRICS_PORT): Address already in use (os error 98)`);
      const healthInUse = new WorkerProcess(`health-${randomUUID()}`, { HEALTH_PORT: String(taken) });
      expect(await exitOf(healthInUse)).toMatch(new RegExp(`^error: cannot serve health checks on port ${taken} \\(HEALTH_PORT\\): listen EADDRINUSE: address already in use 0\\.0\\.0\\.0:${taken}$`));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
