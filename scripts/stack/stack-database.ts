import path from 'node:path';
import { describeDatabaseUrl } from '../../store/database';
import { type RunningDatabase, startEmbeddedPostgres } from './postgres';
import { portFromEnv } from './stack-settings';

/**
 * The audit database of a stack profile (dev or cluster): the server DATABASE_URL names (the caller has checked that
 * it answers), or else the embedded PostgreSQL, supervised, with its data kept in dataDir/pg between runs.
 */
export async function startStackDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  logDir: string;
  port?: number;
  log: (line: string) => void;
}): Promise<{ url: string; embedded?: RunningDatabase }> {
  if (options.databaseUrl) {
    options.log(`PostgreSQL: ${describeDatabaseUrl(options.databaseUrl)} (DATABASE_URL)`);
    return { url: options.databaseUrl };
  }
  const dataDir = path.join(options.dataDir, 'pg');
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: options.port ?? portFromEnv('POSTGRES_PORT', 54329),
    logFile: path.join(options.logDir, 'postgres.log'),
    database: 'audit',
    durable: true,
    supervise: options.log,
  });
  options.log(`PostgreSQL: embedded, data in ${dataDir}, ${describeDatabaseUrl(embedded.url)}`);
  return { url: embedded.url, embedded };
}
