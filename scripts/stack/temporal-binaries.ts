import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, explicitBinary, goInstall, isExecutable, type Log, onPath } from './go-build';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from './temporal-versions';
import { OperatorError } from '../../config/operator-error';

const SERVER_MODULE = 'go.temporal.io/server';
const UI_SERVER_PACKAGE = 'github.com/temporalio/ui-server/v2/cmd/server';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** schema/postgresql/v12 of the server's module: what temporal-sql-tool sets up and upgrades to. */
  schemaDir: string;
}

const serverFolder = () => path.join(cacheDir(), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
const uiFolder = () => path.join(cacheDir(), `temporal-ui-server-${TEMPORAL_UI_VERSION}`);

/**
 * The Temporal server, temporal-sql-tool and the UI server at the pinned versions: from TEMPORAL_SERVER_PATH,
 * TEMPORAL_SQL_TOOL_PATH and TEMPORAL_UI_SERVER_PATH when set, else from the per-user cache, built there once.
 * TEMPORAL_SCHEMA_DIR points at a schema/postgresql/v12 folder when the server module is not in Go's module cache.
 */
export async function resolveClusterBinaries(log: Log): Promise<ClusterBinaries> {
  // Read first: a bad TEMPORAL_UI_SERVER_PATH fails before minutes of building the server.
  const uiServer = explicitBinary('TEMPORAL_UI_SERVER_PATH') ?? path.join(uiFolder(), 'temporal-ui-server');
  const { server, sqlTool } = await resolveTemporalServer(log);
  if (!isExecutable(uiServer)) {
    await goInstall({ label: 'the Temporal UI server', version: TEMPORAL_UI_VERSION, packages: [`${UI_SERVER_PACKAGE}@v${TEMPORAL_UI_VERSION}`], targets: [uiServer] }, log);
  }
  return { server, sqlTool, uiServer, schemaDir: schemaDir() };
}

/** The server and temporal-sql-tool alone (what the secured-server test needs), built once like the rest. */
export async function resolveTemporalServer(log: Log): Promise<Pick<ClusterBinaries, 'server' | 'sqlTool'>> {
  const server = explicitBinary('TEMPORAL_SERVER_PATH') ?? path.join(serverFolder(), 'temporal-server');
  const sqlTool = explicitBinary('TEMPORAL_SQL_TOOL_PATH') ?? path.join(serverFolder(), 'temporal-sql-tool');
  if ([server, sqlTool].some((file) => !isExecutable(file))) {
    await goInstall(
      {
        label: 'the Temporal server and temporal-sql-tool',
        version: TEMPORAL_SERVER_VERSION,
        packages: [`${SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`, `${SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`],
        targets: [path.join(serverFolder(), 'temporal-server'), path.join(serverFolder(), 'temporal-sql-tool')],
      },
      log,
    );
  }
  return { server, sqlTool };
}

/** The schema ships in the server's module, which the build above left in Go's module cache. */
function schemaDir(): string {
  const explicit = process.env.TEMPORAL_SCHEMA_DIR;
  if (explicit) {
    if (!existsSync(path.join(explicit, 'temporal', 'versioned'))) throw new OperatorError(`TEMPORAL_SCHEMA_DIR=${explicit} has no temporal/versioned folder`);
    return explicit;
  }
  const go = onPath('go');
  const modCache = go ? execFileSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim() : '';
  const dir = path.join(modCache, `${SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
  if (!modCache || !existsSync(path.join(dir, 'temporal', 'versioned'))) {
    throw new OperatorError(
      `the Temporal schema for PostgreSQL is not in Go's module cache: run \`go mod download ${SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}\` or set TEMPORAL_SCHEMA_DIR`,
    );
  }
  return dir;
}
