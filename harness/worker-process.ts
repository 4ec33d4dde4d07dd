import { ChildProcess, spawn } from 'node:child_process';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV, ALLOWED_BASE_URLS_ENV } from '../config/api-base-urls';
import path from 'node:path';
import { WORKER_NODE_FLAGS } from '../scripts/stack/supervised-worker';
import { env, requiredEnv } from './env';
import { testCredentialsKey } from './sources';
import { workerAllocatorEnv } from '../scripts/stack/worker-allocator';

const root = path.join(__dirname, '..');

/** The worker as the suite runs it: a checkout's workers/main.ts through tsx. */
const workerFromSources = (tree: string) => [...WORKER_NODE_FLAGS, path.join(tree, 'workers', 'main.ts')];

/**
 * The real worker entry point (workers/main.ts, or other node arguments such as the built dist/workers/main.js) in a
 * process of its own, so a test can SIGKILL it mid-flight the way a crash or an OOM kill would. Its whole output is
 * kept for assertions. `tree` runs another checkout's worker instead (the upgrade drill's previous release): its own
 * workers/main.ts and dependencies, bundling its own workflow code.
 */
export class WorkerProcess {
  output = '';
  private readonly child: ChildProcess;
  private readonly closed: Promise<number | null>;

  constructor(
    readonly taskQueue: string,
    extraEnv: Record<string, string | undefined> = {},
    nodeArgs?: string[],
    tree = root,
  ) {
    const ownTree = tree === root;
    this.child = spawn(process.execPath, nodeArgs ?? workerFromSources(tree), {
      cwd: tree,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: requiredEnv('DATABASE_URL'),
        TEMPORAL_ADDRESS: requiredEnv('TEMPORAL_ADDRESS'),
        TEMPORAL_NAMESPACE: requiredEnv('TEMPORAL_NAMESPACE'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        TEMPORAL_WORKFLOW_BUNDLE: ownTree ? requiredEnv(env.workflowBundle) : undefined,
        CREDENTIALS_KEY: testCredentialsKey,
        // The simulators started so far (harness/simulator.ts), on loopback http.
        [ALLOWED_BASE_URLS_ENV]: process.env[ALLOWED_BASE_URLS_ENV],
        [ALLOW_INSECURE_LOOPBACK_HTTP_ENV]: process.env[ALLOW_INSECURE_LOOPBACK_HTTP_ENV],
        // The simulator and the webhook receivers listen on loopback.
        OUTBOUND_ALLOWED_NETWORKS: process.env.OUTBOUND_ALLOWED_NETWORKS,
        ...workerAllocatorEnv(),
        ...extraEnv,
      },
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.closed = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** True once the process has ended, by its own hand or a signal. */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The exit code once the process has ended: for a worker expected to refuse to start. */
  ended(): Promise<number | null> {
    return this.closed;
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('worker polling')) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL to the whole group: no shutdown hook runs, in-flight work is simply lost. */
  async kill(): Promise<void> {
    process.kill(-this.child.pid!, 'SIGKILL');
    await this.closed;
  }

  /** A graceful stop, as Ctrl-C or an orchestrator would do. */
  async stop(): Promise<void> {
    if (this.exited) return;
    process.kill(-this.child.pid!, 'SIGTERM');
    await this.closed;
  }
}
