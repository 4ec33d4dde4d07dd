import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, explicitBinary, goInstall, isExecutable, type Log, onPath } from './go-build';
import { OperatorError } from '../../config/operator-error';

export { cacheDir } from './go-build';

const execFileAsync = promisify(execFile);

/** Later CLI versions cannot be `go install`ed: their go.mod carries a replace directive. */
export const PINNED_CLI_VERSION = '1.5.1';
const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** `start-dev --search-attribute` and `operator search-attribute create` exist from 1.0 on. */
const MINIMUM_VERSION = [1, 0, 0];

function cachedBinaryPath(): string {
  return path.join(cacheDir(), `temporal-cli-${PINNED_CLI_VERSION}`, 'temporal');
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

/**
 * Finds a usable `temporal` CLI: TEMPORAL_CLI_PATH, then a recent enough one on PATH, then the per-user cached build;
 * builds the pinned version with Go when there is none.
 */
export async function resolveTemporalCli(log: Log = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  const explicit = explicitBinary('TEMPORAL_CLI_PATH');
  if (explicit) return explicit;
  const fromPath = onPath('temporal');
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
  if (!onPath('go')) {
    throw new OperatorError(
      'no Temporal CLI found and Go is not installed: install Go (https://go.dev/dl/) so that the CLI can be built once, ' +
        'or put a temporal binary on PATH or in TEMPORAL_CLI_PATH',
    );
  }
  await goInstall(
    {
      label: 'the Temporal CLI',
      version: PINNED_CLI_VERSION,
      packages: [`${CLI_MODULE}@v${PINNED_CLI_VERSION}`],
      targets: [target],
      ldflags: `-X github.com/temporalio/cli/temporalcli.Version=${PINNED_CLI_VERSION}`,
    },
    log,
  );
}
