import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
/** The command package.json's `bin` names: what `npx atlassian-audit` runs. */
const BIN = path.join(root, 'bin', 'atlassian-audit');

export interface CliRun {
  args: string[];
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Written to the CLI's stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
}

/**
 * Runs the operator CLI's command (bin/atlassian-audit, what `npx atlassian-audit` runs), asynchronously: the test's
 * worker runs in this process and must keep polling while the CLI waits on the workflow.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return run(process.execPath, [BIN], args, options);
}

/** Through npx from the checkout, exactly as an operator types it. */
export function runNpx(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return run('npx', ['atlassian-audit'], args, options);
}

function run(command: string, prefix: string[], args: string[], options: CliOptions): Promise<CliRun> {
  const child = spawn(command, [...prefix, ...args], {
    cwd: root,
    // Only what the CLI needs, so the test also proves it reads nothing else from the developer's environment; the
    // harness's allowance lets it reach the simulator on loopback.
    env: { HOME: os.homedir(), PATH: process.env.PATH, OUTBOUND_ALLOWED_NETWORKS: process.env.OUTBOUND_ALLOWED_NETWORKS, ...options.env } as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ args, status, stdout, stderr });
    });
  });
}

/** The refusal contract: non-zero exit, nothing on stdout, exactly one line on stderr; returns that line. */
export function refusal(run: CliRun): string {
  const context = `${run.args.join(' ')}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  if (run.status === 0) throw new Error(`expected a refusal, the CLI succeeded: ${context}`);
  const lines = run.stderr.trimEnd().split('\n');
  if (lines.length !== 1 || !lines[0].startsWith('error: ') || run.stdout !== '') throw new Error(`expected one error line: ${context}`);
  return lines[0];
}

export function succeeded(run: CliRun): string {
  return exitedWith(run, 0);
}

/** The run's stdout, once its exit code is the expected one. */
export function exitedWith(run: CliRun, code: number): string {
  if (run.status !== code) throw new Error(`${run.args.join(' ')} exited with ${run.status}, expected ${code}: ${run.stderr}`);
  return run.stdout;
}

export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
