import { randomUUID } from 'node:crypto';
import { apiKeyContext, type CredentialCipher } from './credentials';
import type { Database } from './database';
import { createNewSourceMonths, DEFAULT_MONTHS_AHEAD, dropEventSourcePartition } from './event-partitions';

export type SourceStatusValue = 'active' | 'paused' | 'failed' | 'removed';

export interface SourceRecord {
  id: string;
  name: string;
  organizationId: string;
  apiKeyCiphertext: Buffer;
  apiBaseUrl: string;
  pollIntervalSeconds: number;
  silenceWindowSeconds: number;
  silenceAlertEnabled: boolean;
  backfillDays: number;
  apiKeyExpiresAt: Date | null;
  status: SourceStatusValue;
  statusReason: string | null;
  createdAt: Date;
}

export type NewSource = Omit<SourceRecord, 'status' | 'statusReason' | 'createdAt'>;

/** A new source's id and its API key sealed for it: the id comes first, since the key is bound to it. */
export function newSourceKey(cipher: CredentialCipher, apiKey: string): Pick<SourceRecord, 'id' | 'apiKeyCiphertext'> {
  const id = randomUUID();
  return { id, apiKeyCiphertext: cipher.seal(apiKey, apiKeyContext(id)) };
}

export function toSource(row: Record<string, unknown>): SourceRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    organizationId: row.organization_id as string,
    apiKeyCiphertext: row.api_key_ciphertext as Buffer,
    apiBaseUrl: row.api_base_url as string,
    pollIntervalSeconds: row.poll_interval_seconds as number,
    silenceWindowSeconds: row.silence_window_seconds as number,
    silenceAlertEnabled: row.silence_alert_enabled as boolean,
    backfillDays: row.backfill_days as number,
    apiKeyExpiresAt: row.api_key_expires_at as Date | null,
    status: row.status as SourceStatusValue,
    statusReason: row.status_reason as string | null,
    createdAt: row.created_at as Date,
  };
}

/** Creates the source and its checkpoint together: a source never exists without a place to resume from. */
export async function insertSource(db: Database, source: NewSource): Promise<SourceRecord> {
  return db.withTransaction(async (client) => {
    // Before the row: this transaction attaches partitions, and every maker of partitions locks in this order.
    await client.query('SELECT lock_event_partitions()');
    const { rows } = await client.query(
      `INSERT INTO sources (id, name, organization_id, api_key_ciphertext, api_base_url, poll_interval_seconds,
                            silence_window_seconds, silence_alert_enabled, backfill_days, api_key_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        source.id,
        source.name,
        source.organizationId,
        source.apiKeyCiphertext,
        source.apiBaseUrl,
        source.pollIntervalSeconds,
        source.silenceWindowSeconds,
        source.silenceAlertEnabled,
        source.backfillDays,
        source.apiKeyExpiresAt,
      ],
    );
    const created = toSource(rows[0]);
    await client.query(`INSERT INTO checkpoints (source_id, backfill_from) VALUES ($1, $2::timestamptz - make_interval(days => $3))`, [
      created.id,
      created.createdAt,
      created.backfillDays,
    ]);
    // Its events have a partition from the first page on: the months of its backfill and those ahead.
    await createNewSourceMonths(client, created.id, DEFAULT_MONTHS_AHEAD);
    return created;
  });
}

export async function findSourceById(db: Database, id: string): Promise<SourceRecord | undefined> {
  const { rows } = await db.query('SELECT * FROM sources WHERE id = $1', [id]);
  return rows[0] ? toSource(rows[0]) : undefined;
}

export async function findSourceByName(db: Database, name: string): Promise<SourceRecord | undefined> {
  const { rows } = await db.query('SELECT * FROM sources WHERE name = $1', [name]);
  return rows[0] ? toSource(rows[0]) : undefined;
}

export async function listSources(db: Database): Promise<SourceRecord[]> {
  const { rows } = await db.query('SELECT * FROM sources ORDER BY name');
  return rows.map(toSource);
}

export async function updateSourceStatus(db: Database, id: string, status: SourceStatusValue, reason: string | null): Promise<void> {
  await db.query('UPDATE sources SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1', [id, status, reason]);
}

/**
 * What the CLI owns on a source: its key, the key's expiry and the API's base URL. Its settings (interval, silence
 * alarm) are not here: the source's workflow writes those (store/source-settings.ts).
 */
export async function updateSource(
  db: Database,
  id: string,
  changes: Partial<Pick<SourceRecord, 'apiKeyCiphertext' | 'apiKeyExpiresAt' | 'apiBaseUrl'>>,
): Promise<void> {
  const columns = { apiKeyCiphertext: 'api_key_ciphertext', apiKeyExpiresAt: 'api_key_expires_at', apiBaseUrl: 'api_base_url' } as const;
  // Named one by one, so that a caller passing more (a spread, a cast) cannot reach another column.
  const entries = (Object.keys(columns) as (keyof typeof columns)[]).filter((key) => changes[key] !== undefined);
  if (entries.length === 0) return;
  const assignments = entries.map((key, i) => `${columns[key]} = $${i + 2}`).join(', ');
  await db.query(`UPDATE sources SET ${assignments}, updated_at = now() WHERE id = $1`, [id, ...entries.map((key) => changes[key])]);
}

/**
 * Deletes the source with its events, checkpoint and everything else that references it. Its events go by dropping
 * its partition, not row by row.
 */
export async function deleteSource(db: Database, id: string): Promise<void> {
  await dropEventSourcePartition(db, id);
  await db.query('DELETE FROM sources WHERE id = $1', [id]);
}
