import { randomBytes, randomUUID } from 'node:crypto';
import { createActivities } from '../activities';
import { createCredentialCipher, type CredentialCipher } from '../store/credentials';
import { Database, openDatabase } from '../store/database';
import { insertSource, newSourceKey, SourceRecord } from '../store/sources';
import { createDetectionHook } from '../detections/engine';
import { requiredEnv } from './env';

/** A credentials key of the test run's own, in the form CREDENTIALS_KEY takes. */
export const testCredentialsKey = randomBytes(32).toString('base64');
export const testCipher = createCredentialCipher(Buffer.from(testCredentialsKey, 'base64'));

export function openTestDatabase(): Database {
  return openDatabase(requiredEnv('DATABASE_URL'));
}

/** With the detection engine on, as workers run it: a source without enabled packs costs it one lookup per page. */
export function testActivities(db: Database) {
  return createActivities({ db, cipher: testCipher, onEventsInserted: createDetectionHook() });
}

export interface TestSourceOptions {
  organizationId: string;
  apiKey: string;
  apiBaseUrl: string;
  name?: string;
  pollIntervalSeconds?: number;
  backfillDays?: number;
  silenceWindowSeconds?: number;
}

/** A source row as `source add` would write it; the name is unique per call so tests never share a workflow id. */
export function createTestSource(db: Database, options: TestSourceOptions): Promise<SourceRecord> {
  return insertSource(db, {
    name: options.name ?? `test-${randomUUID().slice(0, 8)}`,
    organizationId: options.organizationId,
    ...newSourceKey(testCipher, options.apiKey),
    apiBaseUrl: options.apiBaseUrl,
    pollIntervalSeconds: options.pollIntervalSeconds ?? 60,
    silenceWindowSeconds: options.silenceWindowSeconds ?? 24 * 3600,
    silenceAlertEnabled: true,
    backfillDays: options.backfillDays ?? 7,
    apiKeyExpiresAt: null,
  });
}

/** A source row without a workflow: tests that use it store its events themselves, as a page would. */
export function createIdleSource(db: Database, cipher: CredentialCipher, name = `src-${randomUUID().slice(0, 8)}`): Promise<SourceRecord> {
  return insertSource(db, {
    name,
    organizationId: randomUUID(),
    ...newSourceKey(cipher, 'not-used'),
    apiBaseUrl: 'https://api.atlassian.com',
    pollIntervalSeconds: 3600,
    silenceWindowSeconds: 24 * 3600,
    silenceAlertEnabled: false,
    backfillDays: 0,
    apiKeyExpiresAt: null,
  });
}

export async function countEvents(db: Database, sourceId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE source_id = $1', [sourceId]);
  return Number(rows[0].n);
}

/** Polls until `check` holds; fails with the last observed value so a timeout explains itself. */
export async function eventually<T>(observe: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await observe();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await observe();
  }
  return last;
}
