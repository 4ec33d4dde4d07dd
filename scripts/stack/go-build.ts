import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tailOfFile } from './processes';
import { OperatorError } from '../../config/operator-error';

export type Log = (line: string) => void;

/** Per-user cache outside any clone, so every clone and every CI run on this machine reuses one build. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'atlassian-audit-source');
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface GoBuild {
  /** What the operator reads in progress lines and errors, e.g. "the Temporal server". */
  label: string;
  /** Shown in the progress line: "building the Temporal server v1.29.1 with Go". */
  version: string;
  /** `go install` package paths with their @version. */
  packages: string[];
  /** Where each package's binary ends up, in the order of `packages`. */
  targets: string[];
  ldflags?: string;
}

/**
 * Builds pinned Go binaries with `go install` into a scratch GOBIN per package, then renames them into place: an
 * interrupted build never leaves a half-written binary, and two packages whose binaries share a name (the Temporal
 * server and the UI server are both `cmd/server`) cannot overwrite each other. Only the Go module proxy is reached,
 * and only here, at build time.
 */
export async function goInstall(build: GoBuild, log: Log): Promise<void> {
  const go = onPath('go');
  if (!go) {
    throw new OperatorError(`${build.label} is not built and Go is not installed: install Go (https://go.dev/dl/) so that it can be built once`);
  }
  const folder = path.dirname(build.targets[0]);
  mkdirSync(folder, { recursive: true });
  const logFile = path.join(folder, 'build.log');
  rmSync(logFile, { force: true });
  log(`building ${build.label} v${build.version} with Go into ${folder} (first run only, a few minutes)`);
  const started = Date.now();
  for (const [i, pkg] of build.packages.entries()) {
    const scratch = mkdtempSync(path.join(folder, 'build-'));
    try {
      const args = ['install', ...(build.ldflags ? ['-ldflags', build.ldflags] : []), pkg];
      const code = await runLogged(go, args, { ...process.env, CGO_ENABLED: '0', GOBIN: scratch, GOFLAGS: '-mod=mod' }, logFile, log, started);
      const built = path.join(scratch, path.basename(pkg.replace(/@.*$/, '')));
      if (code !== 0 || !existsSync(built)) {
        throw new OperatorError(`building ${build.label} failed (log: ${logFile}); last lines:\n${tailOfFile(logFile)}`);
      }
      renameSync(built, build.targets[i]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  log(`built ${build.label} in ${Math.round((Date.now() - started) / 1000)} s`);
}

function runLogged(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, log: Log, started: number): Promise<number | null> {
  return new Promise((resolve) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    out.write(`$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
}

/** An override from the environment must name an executable; a typo fails in one line rather than in a build. */
export function explicitBinary(envVar: string): string | undefined {
  const explicit = process.env[envVar];
  if (!explicit) return undefined;
  if (!isExecutable(explicit)) throw new OperatorError(`${envVar}=${explicit} is not an executable file`);
  return explicit;
}
