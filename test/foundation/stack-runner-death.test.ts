import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isPortFree } from '../../scripts/stack/processes';
import { eventually } from '../../harness/sources';

const root = path.join(__dirname, '..', '..');

/** Every live process whose parent chain leads to `pid` (zombies count as gone: they hold no port and run nothing). */
function descendantsOf(pid: number): { pid: number; command: string }[] {
  const live = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // The command may hold spaces and parentheses: the fields after it follow the last ')'.
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return state === 'Z' ? [] : [{ pid: Number(name), ppid: Number(ppid), command: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ') }];
      } catch {
        return []; // gone while we looked
      }
    });
  const found: { pid: number; command: string }[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const children = live.filter((p) => parents.has(p.ppid));
    found.push(...children);
    parents = new Set(children.map((p) => p.pid));
  }
  return found;
}

/** True while the process runs (a zombie does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('the stack runner (make up)', () => {
  it('takes its supervised children with it when it is killed with SIGKILL, and their ports are free again', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'runner-death-'));
    // PostgreSQL runs as the unprivileged 'postgres' user when the tests run as root: it must be able to enter.
    chmodSync(dataDir, 0o755);
    const ports = { TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), POSTGRES_PORT: await freePort() };
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, AUDIT_DATA_DIR: dataDir, CREDENTIALS_KEY: Buffer.alloc(32, 7).toString('base64') };
    for (const [name, port] of Object.entries(ports)) env[name] = String(port);
    // The runner itself, not npm or tsx's wrapper in front of it: the process that spawned the children is killed.
    const runner = spawn(process.execPath, ['--import', 'tsx', 'scripts/stack/up.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    runner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    runner.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let children: { pid: number; command: string }[] = [];
    try {
      await eventually(async () => output, (text) => text.includes('press Ctrl-C') || runner.exitCode !== null, 180_000, 200);
      expect(output).toContain('running; press Ctrl-C to stop');
      children = descendantsOf(runner.pid!);
      // What must not outlive it: the dev server (with its Web UI), PostgreSQL and the worker.
      expect(children.map((p) => p.command)).toEqual(
        expect.arrayContaining([expect.stringContaining('start-dev'), expect.stringMatching(/bin\/postgres /), expect.stringContaining('workers/main.ts')]),
      );
      for (const port of Object.values(ports)) expect(await isPortFree(port)).toBe(false);

      process.kill(runner.pid!, 'SIGKILL');

      const survivors = await eventually(async () => children.filter((p) => alive(p.pid)), (left) => left.length === 0, 30_000, 200);
      expect(survivors).toEqual([]);
      for (const port of Object.values(ports)) expect(await eventually(() => isPortFree(port), (free) => free, 10_000, 200)).toBe(true);
    } finally {
      // Whatever a failed run left behind, so that it does not hold ports for the next test.
      for (const p of [{ pid: runner.pid! }, ...children]) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
