import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Database } from './database';

const MIGRATIONS_DIR = nearestMigrationsDir(__dirname);
// Any constant works; it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK_ID = 7_351_204;

/**
 * Applies the SQL files of migrations/ that this database has not seen, in name order, each in its own transaction.
 * Safe to call from every worker at start: an advisory lock serialises concurrent callers.
 */
export async function migrate(db: Database): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  return db.withTransaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ name: string }>('SELECT name FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.name));
    const pending = files.filter((f) => !applied.has(f));
    for (const file of pending) {
      await client.query(readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8'));
      await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
    }
    return pending;
  });
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
