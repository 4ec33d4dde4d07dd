import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Database } from './database';

const MIGRATIONS_DIR = nearestMigrationsDir(__dirname);
// Any constant works; it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK_ID = 7_351_204;

/** An applied migration whose file is no longer what was applied: the schema and the code may disagree. */
export class ChangedMigrationError extends Error {
  override name = 'ChangedMigrationError';
}

export interface MigrateOptions {
  /** The last file to apply (the upgrade drill builds the previous release's schema); every file by default. */
  through?: string;
  /** Another folder of SQL files; the project's migrations/ by default. */
  directory?: string;
}

/**
 * Applies the SQL files of migrations/ that this database has not seen, in name order, each in its own transaction.
 * Safe to call from every worker at start: an advisory lock serialises concurrent callers. Each applied file's sha256
 * is recorded; a file changed after it was applied stops the start, before anything else is applied.
 */
export async function migrate(db: Database, { through, directory = MIGRATIONS_DIR }: MigrateOptions = {}): Promise<string[]> {
  const files = readdirSync(directory)
    .filter((f) => f.endsWith('.sql') && (through === undefined || f <= through))
    .sort();
  const checksums = new Map(files.map((file) => [file, sha256(readFileSync(path.join(directory, file), 'utf8'))]));
  return db.withTransaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    // Rows written before checksums were kept take the current file's on this first run.
    await client.query('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS sha256 text');
    await client.query(
      `UPDATE schema_migrations m SET sha256 = f.sha256
         FROM unnest($1::text[], $2::text[]) AS f(name, sha256)
        WHERE m.name = f.name AND m.sha256 IS NULL`,
      [[...checksums.keys()], [...checksums.values()]],
    );
    const { rows } = await client.query<{ name: string; sha256: string | null }>('SELECT name, sha256 FROM schema_migrations');
    const applied = new Map(rows.map((r) => [r.name, r.sha256]));
    const changed = files.find((file) => applied.has(file) && applied.get(file) !== null && applied.get(file) !== checksums.get(file));
    if (changed) {
      throw new ChangedMigrationError(`migration ${changed} was changed after it was applied to this database: put back the file as it was released (migrations are never edited; add a new one)`);
    }
    const pending = files.filter((f) => !applied.has(f));
    for (const file of pending) {
      await client.query(readFileSync(path.join(directory, file), 'utf8'));
      await client.query('INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)', [file, checksums.get(file)]);
    }
    return pending;
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The nearest migrations/ above this module: the project's, whether it runs from store/ (tsx, jest) or dist/store/
 * (the build, whose dist/ holds a copy of package.json but no SQL).
 */
function nearestMigrationsDir(dir: string): string {
  while (!existsSync(path.join(dir, 'migrations'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no migrations/ folder above ${__dirname}`);
    dir = parent;
  }
  return path.join(dir, 'migrations');
}
