import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WORKER_HEAP_FLAGS, WORKER_NODE_FLAGS } from '../scripts/stack/supervised-worker';
import { median, openBenchStack, type BenchStack } from './bench-environment';
import { treeUsage } from './process-usage';

// What the production image changes, measured without Docker. It lays out the runtime stage of the Dockerfile in a
// temporary folder (production dependencies by `npm ci --omit=dev`, other platforms' core-bridge binaries removed,
// dist/ from `npm run build`, migrations/) and reports (1) what that adds to the node base image and (2) worker start,
// from spawn to its 'worker polling task queue' line, on a dev server and an embedded PostgreSQL of its own, in rounds
// that alternate: the image's command in that folder against the previous image's (tsx, and webpack bundling
// workflows/ at start) in the checkout.
// Usage: npm run bench:image [-- --rounds 5]

const root = path.join(__dirname, '..');

interface Variant {
  cwd: string;
  args: string[];
  /** TEMPORAL_WORKFLOW_BUNDLE, when the worker loads a prebuilt bundle. */
  bundle?: string;
}

interface Start {
  ms: number;
  cpuSeconds: number;
  rssMiB: number;
}

async function startWorker(stack: BenchStack, { cwd, args, bundle }: Variant, round: number): Promise<Start> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: stack.database.url,
    TEMPORAL_ADDRESS: stack.server.address,
    TEMPORAL_TASK_QUEUE: `bench-image-${round}`,
    CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    ...(bundle ? { TEMPORAL_WORKFLOW_BUNDLE: bundle } : {}),
  };
  const started = performance.now();
  const worker = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const ready = new Promise<Start>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker polling task queue')) {
        const usage = treeUsage(worker.pid!);
        resolve({ ms: performance.now() - started, cpuSeconds: usage.cpuSeconds, rssMiB: usage.rssBytes / 2 ** 20 });
      }
    };
    worker.stdout.on('data', onData);
    worker.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`the worker exited before polling:\n${output}`)));
  });
  try {
    return await ready;
  } finally {
    worker.kill('SIGTERM');
    await exited;
  }
}

function kib(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** The Dockerfile's runtime stage, in a folder. */
function imageLayout(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-bench-image-'));
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(path.join(root, file), path.join(dir, file));
  execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
  execFileSync(path.join(root, 'scripts', 'image', 'keep-own-platform.sh'), { cwd: dir, stdio: 'ignore' });
  cpSync(path.join(root, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  return dir;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a positive whole number');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'ignore' });
  console.log(`node ${process.version}`);
  const image = imageLayout();
  const mib = (dir: string) => (kib(path.join(image, dir)) / 1024).toFixed(1);
  console.log(`added to the node base image: production node_modules ${mib('node_modules')} MiB, dist ${mib('dist')} MiB, migrations ${mib('migrations')} MiB`);

  const variants: Record<string, Variant> = {
    'compiled + prebuilt bundle (this image)': { cwd: image, args: [...WORKER_HEAP_FLAGS, 'dist/workers/main.js'], bundle: path.join(image, 'dist', 'workflow-bundle.js') },
    'tsx + bundling at start (previous image)': { cwd: root, args: [...WORKER_NODE_FLAGS, 'workers/main.ts'] },
  };

  const stack = await openBenchStack('image', { seed: 1, orgs: [{}], history: { count: 0 } });
  const starts = new Map<string, Start[]>(Object.keys(variants).map((name) => [name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, variant] of Object.entries(variants)) starts.get(name)!.push(await startWorker(stack, variant, round));
    }
  } finally {
    await stack.close();
    rmSync(image, { recursive: true, force: true });
  }
  console.log(`worker start, spawn to polling, ${rounds} rounds (median, range): time; CPU seconds; RSS when polling`);
  for (const [name, runs] of starts) {
    const figure = (pick: (s: Start) => number, digits: number) =>
      `${median(runs.map(pick)).toFixed(digits)} (${Math.min(...runs.map(pick)).toFixed(digits)}–${Math.max(...runs.map(pick)).toFixed(digits)})`;
    console.log(`  ${name}: ${figure((s) => s.ms / 1000, 2)} s; ${figure((s) => s.cpuSeconds, 2)} s CPU; ${figure((s) => s.rssMiB, 0)} MiB`);
  }

}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
