import { createCredentialCipher } from '../../store/credentials';
import { Database, openDatabase } from '../../store/database';
import { requiredEnv } from '../../harness/env';

/** 32 bytes as base64, the form `openssl rand -base64 32` prints. */
export const CREDENTIALS_KEY = Buffer.alloc(32, 11).toString('base64');
export const cipher = createCredentialCipher(Buffer.from(CREDENTIALS_KEY, 'base64'));
/** The variable that carries the API key to the CLI: the key never travels in argv, and a flag may name only AUDIT_SECRET_*. */
export const KEY_VAR = 'AUDIT_SECRET_TEST_API_KEY';

export function openTestDatabase(): Database {
  return openDatabase(requiredEnv('DATABASE_URL'), { maxConnections: 4 });
}

/** What every CLI run of these tests gets: the run's servers, the worker's task queue, and the simulator. */
export function cliEnvironment(taskQueue: string, apiBaseUrl: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    DATABASE_URL: requiredEnv('DATABASE_URL'),
    TEMPORAL_ADDRESS: requiredEnv('TEMPORAL_ADDRESS'),
    TEMPORAL_NAMESPACE: requiredEnv('TEMPORAL_NAMESPACE'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    CREDENTIALS_KEY,
    ATLASSIAN_API_BASE_URL: apiBaseUrl,
    // The simulator answers on http://127.0.0.1: development only, and only for loopback.
    ALLOW_INSECURE_LOOPBACK_HTTP: 'true',
    ...extra,
  };
}

/**
 * The source's row and everything hanging off it. Scoped by name because other test files share the database and may
 * run at the same time.
 */
export async function rowsOf(db: Database, sourceName: string): Promise<{ sources: number; checkpoints: number; events: number }> {
  const { rows } = await db.query<{ sources: number; checkpoints: number; events: number }>(
    `SELECT count(DISTINCT s.id)::int AS sources, count(DISTINCT c.source_id)::int AS checkpoints, count(e.event_id)::int AS events
       FROM sources s LEFT JOIN checkpoints c ON c.source_id = s.id LEFT JOIN events e ON e.source_id = s.id
      WHERE s.name = $1`,
    [sourceName],
  );
  return rows[0];
}

export async function eventsOf(db: Database, sourceName: string): Promise<number> {
  return (await rowsOf(db, sourceName)).events;
}
