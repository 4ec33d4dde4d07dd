import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { tailOfFile } from './processes';
import { OperatorError } from '../../config/operator-error';

const execFileAsync = promisify(execFile);

/** Later CLI versions cannot be `go install`ed: their go.mod carries a replace directive. */
export const PINNED_CLI_VERSION = '1.5.1';
const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** `start-dev --search-attribute` and `operator search-attribute create` exist from 1.0 on. */
const MINIMUM_VERSION = [1, 0, 0];

type Log = (line: string) => void;

/** Per-user cache outside any clone, so every clone and every CI run on this machine reuses one build. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'atlassian-audit-source');
}

function cachedBinaryPath(): string {
  return path.join(cacheDir(), `temporal-cli-${PINNED_CLI_VERSION}`, 'temporal');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function versionOf(binary: string): Promise<number[] | undefined> {
  try {
    const { stdout } = await execFileAsync(binary, ['--version'], { timeout: 10_000 });
    const match = /version (\d+)\.(\d+)\.(\d+)/.exec(stdout);
    return match ? match.slice(1, 4).map(Number) : undefined;
  } catch {
    return undefined;
  }
}

function atLeast(version: number[], minimum: number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    if (version[i] !== minimum[i]) return version[i] > minimum[i];
  }
  return true;
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds a usable `temporal` CLI: TEMPORAL_CLI_PATH, then a recent enough one on PATH, then the per-user cached build;
 * builds the pinned version with Go when there is none.
 */
export async function resolveTemporalCli(log: Log = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new OperatorError(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    return explicit;
  }
  const fromPath = await onPath('temporal');
  if (fromPath) {
    const version = await versionOf(fromPath);
    if (version && atLeast(version, MINIMUM_VERSION)) return fromPath;
    log(`ignoring ${fromPath}: version ${version?.join('.') ?? 'unknown'} is older than ${MINIMUM_VERSION.join('.')}`);
  }
  const cached = cachedBinaryPath();
  if (isExecutable(cached)) return cached;
  await buildWithGo(cached, log);
  return cached;
}

async function buildWithGo(target: string, log: Log): Promise<void> {
  const go = await onPath('go');
  if (!go) {
    throw new OperatorError(
      'no Temporal CLI found and Go is not installed: install Go (https://go.dev/dl/) so that the CLI can be built once, ' +
        'or put a temporal binary on PATH or in TEMPORAL_CLI_PATH',
    );
  }
  const folder = path.dirname(target);
  mkdirSync(folder, { recursive: true });
  const logFile = path.join(folder, 'build.log');
  // Build into a scratch GOBIN and rename at the end, so an interrupted build never leaves a half-written binary.
  const scratch = mkdtempSync(path.join(folder, 'build-'));
  log(`building the Temporal CLI v${PINNED_CLI_VERSION} with Go into ${folder} (first run only, a few minutes)`);
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const out = createWriteStream(logFile);
    const child = spawn(
      go,
      ['install', '-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${PINNED_CLI_VERSION}`, `${CLI_MODULE}@v${PINNED_CLI_VERSION}`],
      { env: { ...process.env, CGO_ENABLED: '0', GOBIN: scratch, GOFLAGS: '-mod=mod' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let downloads = 0;
    child.stderr.on('data', (chunk: Buffer) => {
      downloads += (chunk.toString().match(/go: downloading/g) ?? []).length;
    });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const progress = setInterval(() => {
      log(`  still building (${Math.round((Date.now() - started) / 1000)} s, ${downloads} modules downloaded)`);
    }, 15_000);
    child.once('error', () => resolve(-1));
    // 'close', not 'exit': the log must hold everything the build wrote before it is read back.
    child.once('close', (exitCode) => {
      clearInterval(progress);
      out.end(() => resolve(exitCode));
    });
  });
  const built = path.join(scratch, 'temporal');
  if (code !== 0 || !existsSync(built)) {
    rmSync(scratch, { recursive: true, force: true });
    throw new OperatorError(`building the Temporal CLI failed (log: ${logFile}); last lines:\n${tailOfFile(logFile)}`);
  }
  renameSync(built, target);
  rmSync(scratch, { recursive: true, force: true });
  log(`built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s`);
}
