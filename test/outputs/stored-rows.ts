import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database';
import { insertEvents } from '../../store/events';
import { newSourceKey, insertSource, type SourceRecord } from '../../store/sources';
import type { CredentialCipher } from '../../store/credentials';
import { row } from '../detections/sample-events';

/** A source row without a workflow: these tests store its events themselves, as a page would. */
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

/** Stores `count` new events of the source in one transaction, through the one insert path; returns their ids. */
export async function storeEvents(db: Database, source: SourceRecord, count: number): Promise<string[]> {
  const rows = Array.from({ length: count }, () => row({ action: 'user_granted_role' }));
  return db.withTransaction((tx) => insertEvents(tx, source.id, source.name, rows));
}
