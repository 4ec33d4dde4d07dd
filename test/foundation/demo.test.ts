import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../scripts/stack/processes';
import { eventually } from '../../harness/sources';

const root = path.join(__dirname, '..', '..');

/** Processes whose command line names the demo's data folder: the dev server and PostgreSQL do. */
function processesUsing(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dataDir], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('make demo', () => {
  it('serves the Web UI, ingests the demo source, restarts a worker, PostgreSQL and the Temporal server when they die, and leaves no process behind after Ctrl-C', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'demo-test-'));
    // PostgreSQL runs as the unprivileged 'postgres' user when the tests run as root: it must be able to enter.
    chmodSync(dataDir, 0o755);
    const ports = { TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), POSTGRES_PORT: await freePort(), SIMULATOR_PORT: await freePort() };
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, AUDIT_DATA_DIR: dataDir };
    for (const [name, port] of Object.entries(ports)) env[name] = String(port);
    // Its own process group, as a terminal gives it: Ctrl-C is a SIGINT to every process of the group.
    const demo = spawn('npm', ['run', '--silent', 'demo'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('close', resolve));
    try {
      await eventually(async () => output, (text) => text.includes('press Ctrl-C') || demo.exitCode !== null, 180_000, 200);
      expect(output).toContain('running; press Ctrl-C to stop');
      const uiUrl = /Temporal Web UI: (\S+)/.exec(output)?.[1];
      expect(uiUrl).toBe(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`);
      expect((await fetch(uiUrl!)).status).toBe(200);

      const databaseUrl = /psql "([^"]+)"/.exec(output)![1];
      // A connection per count: PostgreSQL itself is killed below.
      const count = async () => {
        const db = new Client({ connectionString: databaseUrl });
        try {
          await db.connect();
          return Number((await db.query('SELECT count(*) AS n FROM events')).rows[0].n);
        } finally {
          await db.end().catch(() => undefined);
        }
      };
      await eventually(count, (n) => n >= 5_000, 60_000, 500);

      // A worker that dies (a crash, an OOM kill) is started again, and the output says so.
      const pid = Number(/worker: running \(pid (\d+)\)/.exec(output)?.[1]);
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, 'SIGKILL');
      await eventually(async () => output, (text) => /worker: restarted \(pid \d+\)/.test(text), 30_000, 200);
      expect(output).toMatch(/worker was killed by a signal after \d+ s; restarting it in 1 s/);
      const afterRestart = await count();
      await eventually(count, (n) => n > afterRestart, 60_000, 500);

      // So is PostgreSQL: its postmaster's pid is the first line of postmaster.pid.
      const postmaster = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(postmaster, 'SIGKILL');
      await eventually(async () => output, (text) => /PostgreSQL: restarted \(pid \d+\)/.test(text), 60_000, 200);
      expect(output).toMatch(/PostgreSQL was killed by SIGKILL; restarting it in 1 s/);
      const afterDatabaseRestart = await eventually(count, (n) => n > 0, 30_000, 500);
      await eventually(count, (n) => n > afterDatabaseRestart, 60_000, 500);

      // And the Temporal dev server, whose state survives in its database file.
      const devServer = Number(processesUsing(dataDir).find((line) => line.includes('start-dev'))?.split(' ')[0]);
      expect(devServer).toBeGreaterThan(0);
      process.kill(devServer, 'SIGKILL');
      await eventually(async () => output, (text) => /Temporal dev server: restarted \(pid \d+\)/.test(text), 60_000, 200);
      expect(output).toMatch(/Temporal dev server was killed by a signal after \d+ s; restarting it in 1 s/);
      const afterServerRestart = await count();
      await eventually(count, (n) => n > afterServerRestart, 60_000, 500);
    } finally {
      if (demo.exitCode === null) process.kill(-demo.pid!, 'SIGINT');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
      if (code === 'timeout') process.kill(-demo.pid!, 'SIGKILL');
      const leftovers = processesUsing(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      expect(code).not.toBe('timeout');
      expect(output).toContain('stopped');
      expect(leftovers).toEqual([]);
    }
  });
});
