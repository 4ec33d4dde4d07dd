import { createThrowawayDatabase, type RunningDatabase } from '../scripts/stack/postgres';
import { openDatabase, type Database } from '../store/database';
import { migrate } from '../store/migrate';
import { requiredEnv } from './env';

export interface OwnDatabase {
  db: Database;
  url: string;
  close(): Promise<void>;
}

/**
 * A migrated database of its own on the run's server, for tests of commands that read every row (export, apply,
 * reencrypt): other files' sources live in the shared one.
 */
export async function openOwnDatabase(label: string): Promise<OwnDatabase> {
  const database: RunningDatabase = await createThrowawayDatabase(requiredEnv('DATABASE_URL'), `${label}_${process.pid}_${Date.now()}`);
  const db = openDatabase(database.url, { maxConnections: 4 });
  await migrate(db);
  return {
    db,
    url: database.url,
    async close() {
      await db.close();
      await database.stop();
    },
  };
}
