import { execFile, spawn } from 'node:child_process';
import { accessSync, appendFileSync, chmodSync, constants, cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
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

export interface GoModuleBuild {
  /** What the operator reads in progress lines and errors, e.g. "the S3 server (SeaweedFS)". */
  label: string;
  module: string;
  /** The module version, a tag or a pseudo-version. */
  version: string;
  /** The main package inside the module, e.g. "./weed". */
  packageDir: string;
  target: string;
}

/**
 * Builds a module's main package from the module's own folder, for modules that `go install` refuses because their
 * go.mod has replace directives. The module cache holds the folder read-only, so it is built from a writable copy;
 * the binary is renamed into place only once whole.
 */
export async function goBuildModule(build: GoModuleBuild, log: Log): Promise<void> {
  const go = onPath('go');
  if (!go) {
    throw new OperatorError(`${build.label} is not built and Go is not installed: install Go (https://go.dev/dl/) so that it can be built once`);
  }
  const folder = path.dirname(build.target);
  mkdirSync(folder, { recursive: true });
  const logFile = path.join(folder, 'build.log');
  rmSync(logFile, { force: true });
  log(`building ${build.label} ${build.version} with Go into ${folder} (first run only, about 5 minutes)`);
  const started = Date.now();
  const env = { ...process.env, CGO_ENABLED: '0' };
  const moduleDir = await downloadModule(go, `${build.module}@${build.version}`, env, logFile);
  if (!moduleDir) throw new OperatorError(`downloading ${build.label} failed (log: ${logFile}); last lines:\n${tailOfFile(logFile)}`);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'go-module-build-'));
  try {
    const source = path.join(scratch, 'src');
    cpSync(moduleDir, source, { recursive: true });
    makeWritable(source);
    const binary = path.join(scratch, path.basename(build.target));
    const code = await runLogged(go, ['build', '-o', binary, build.packageDir], env, logFile, log, started, source);
    if (code !== 0 || !existsSync(binary)) {
      throw new OperatorError(`building ${build.label} failed (log: ${logFile}); last lines:\n${tailOfFile(logFile)}`);
    }
    // A rename is atomic only within one file system: the binary is first copied beside its target.
    const staged = `${build.target}.partial-${process.pid}`;
    cpSync(binary, staged);
    chmodSync(staged, 0o755);
    renameSync(staged, build.target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  log(`built ${build.label} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** `go mod download -json`: the module's folder in the module cache, or undefined (the reason is in the log). */
function downloadModule(go: string, moduleAtVersion: string, env: NodeJS.ProcessEnv, logFile: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(go, ['mod', 'download', '-json', moduleAtVersion], { env, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      appendFileSync(logFile, `$ ${go} mod download -json ${moduleAtVersion}\n${stdout}${stderr}`);
      if (err) return resolve(undefined);
      try {
        const dir = (JSON.parse(stdout) as { Dir?: unknown }).Dir;
        resolve(typeof dir === 'string' && existsSync(dir) ? dir : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(file);
    else if (entry.isFile()) chmodSync(file, statSync(file).mode | 0o200);
  }
}

function runLogged(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, log: Log, started: number, cwd?: string): Promise<number | null> {
  return new Promise((resolve) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    out.write(`$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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
