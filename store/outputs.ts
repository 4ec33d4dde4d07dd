import { randomUUID } from 'node:crypto';
import { outputSecretContext, type CredentialCipher } from './credentials';
import type { Database } from './database';

export const OUTPUT_KINDS = ['http', 's3', 'splunk_hec'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];
export const OUTPUT_FORMATS = ['raw', 'ecs', 'ocsf'] as const;
export type OutputStatusValue = 'active' | 'paused' | 'failed';

export interface OutputBatching {
  maxEvents: number;
  maxBytes: number;
  /** A batch under both limits is not cut before its oldest event was stored this long ago. */
  maxAgeSeconds: number;
}

export interface OutputRecord {
  id: string;
  name: string;
  kind: OutputKind;
  format: (typeof OUTPUT_FORMATS)[number];
  /** Non-secret settings of the kind (an HTTP output: shownUrl, gzip). */
  settings: Record<string, unknown>;
  allSources: boolean;
  /** The chosen sources' ids; empty when allSources. */
  sourceIds: string[];
  batching: OutputBatching;
  lagAlertSeconds: number;
  status: OutputStatusValue;
  statusReason: string | null;
  createdAt: Date;
}

export type NewOutput = Omit<OutputRecord, 'id' | 'status' | 'statusReason' | 'createdAt'> & {
  /** Secrets in clear, by name; sealed here for the new output, never stored or returned in clear. */
  secrets: Record<string, string>;
};

export const DEFAULT_BATCHING: OutputBatching = { maxEvents: 1000, maxBytes: 4 * 1024 * 1024, maxAgeSeconds: 5 };
export const DEFAULT_LAG_ALERT_SECONDS = 3600;

const SELECT_OUTPUTS = `SELECT o.*, COALESCE((SELECT array_agg(os.source_id::text ORDER BY os.source_id) FROM output_sources os WHERE os.output_id = o.id), '{}') AS source_ids
  FROM outputs o`;

/** An output row's batch limits, wherever a query reads them. */
function batchingOf(row: Record<string, unknown>): OutputBatching {
  return { maxEvents: row.batch_max_events as number, maxBytes: row.batch_max_bytes as number, maxAgeSeconds: row.batch_max_age_seconds as number };
}

function toOutput(row: Record<string, unknown>): OutputRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    kind: row.kind as OutputKind,
    format: row.format as OutputRecord['format'],
    settings: row.settings as Record<string, unknown>,
    allSources: row.all_sources as boolean,
    sourceIds: row.source_ids as string[],
    batching: batchingOf(row),
    lagAlertSeconds: row.lag_alert_seconds as number,
    status: row.status as OutputStatusValue,
    statusReason: row.status_reason as string | null,
    createdAt: row.created_at as Date,
  };
}

/** Creates the output, its chosen sources and its sealed secrets in one transaction. */
export async function insertOutput(db: Database, cipher: CredentialCipher, output: NewOutput): Promise<OutputRecord> {
  const id = randomUUID();
  await db.withTransaction(async (tx) => {
    await tx.query(
      `INSERT INTO outputs (id, name, kind, format, settings, all_sources, batch_max_events, batch_max_bytes, batch_max_age_seconds, lag_alert_seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [id, output.name, output.kind, output.format, JSON.stringify(output.settings), output.allSources, output.batching.maxEvents, output.batching.maxBytes, output.batching.maxAgeSeconds, output.lagAlertSeconds],
    );
    await tx.query('INSERT INTO output_sources (output_id, source_id) SELECT $1, unnest($2::uuid[])', [id, output.allSources ? [] : output.sourceIds]);
    await writeSecrets(tx, cipher, id, output.secrets);
  });
  return (await findOutputById(db, id))!;
}

/**
 * Settings an existing output may change (apply -f); secrets given replace the stored ones of the same name, and the
 * secrets named in removedSecrets go.
 */
export type OutputChange = Pick<NewOutput, 'format' | 'settings' | 'allSources' | 'sourceIds' | 'batching' | 'lagAlertSeconds'> & {
  secrets: Record<string, string>;
  removedSecrets?: readonly string[];
};

export async function updateOutput(db: Database, cipher: CredentialCipher, id: string, change: OutputChange): Promise<void> {
  await db.withTransaction(async (tx) => {
    await tx.query(
      `UPDATE outputs SET format = $2, settings = $3, all_sources = $4, batch_max_events = $5, batch_max_bytes = $6, batch_max_age_seconds = $7,
              lag_alert_seconds = $8, updated_at = now() WHERE id = $1`,
      [id, change.format, JSON.stringify(change.settings), change.allSources, change.batching.maxEvents, change.batching.maxBytes, change.batching.maxAgeSeconds, change.lagAlertSeconds],
    );
    await tx.query('DELETE FROM output_sources WHERE output_id = $1', [id]);
    await tx.query('INSERT INTO output_sources (output_id, source_id) SELECT $1, unnest($2::uuid[])', [id, change.allSources ? [] : change.sourceIds]);
    await writeSecrets(tx, cipher, id, change.secrets);
    if (change.removedSecrets?.length) await tx.query('DELETE FROM output_secrets WHERE output_id = $1 AND name = ANY($2::text[])', [id, change.removedSecrets]);
  });
}

async function writeSecrets(tx: Pick<Database, 'query'>, cipher: CredentialCipher, outputId: string, secrets: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(secrets)) {
    await tx.query(
      'INSERT INTO output_secrets (output_id, name, sealed) VALUES ($1, $2, $3) ON CONFLICT (output_id, name) DO UPDATE SET sealed = EXCLUDED.sealed',
      [outputId, name, cipher.seal(value, outputSecretContext(outputId, name))],
    );
  }
}

/** The output's secrets, opened: for the activity that sends, and nothing else. */
export async function openOutputSecrets(db: Pick<Database, 'query'>, cipher: CredentialCipher, outputId: string): Promise<Record<string, string>> {
  const { rows } = await db.query<{ name: string; sealed: Buffer }>('SELECT name, sealed FROM output_secrets WHERE output_id = $1', [outputId]);
  return Object.fromEntries(rows.map((row) => [row.name, cipher.open(row.sealed, outputSecretContext(outputId, row.name))]));
}

/** The names of the secrets each output holds, none opened: what `export` writes references for. */
export async function listOutputSecretNames(db: Pick<Database, 'query'>): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ output_id: string; names: string[] }>('SELECT output_id, array_agg(name ORDER BY name) AS names FROM output_secrets GROUP BY output_id');
  return new Map(rows.map((row) => [row.output_id, row.names]));
}

export async function findOutputById(db: Pick<Database, 'query'>, id: string): Promise<OutputRecord | undefined> {
  const { rows } = await db.query(`${SELECT_OUTPUTS} WHERE o.id = $1`, [id]);
  return rows.length ? toOutput(rows[0]) : undefined;
}

export async function findOutputByName(db: Pick<Database, 'query'>, name: string): Promise<OutputRecord | undefined> {
  const { rows } = await db.query(`${SELECT_OUTPUTS} WHERE o.name = $1`, [name]);
  return rows.length ? toOutput(rows[0]) : undefined;
}

export async function listOutputs(db: Pick<Database, 'query'>): Promise<OutputRecord[]> {
  const { rows } = await db.query(`${SELECT_OUTPUTS} ORDER BY o.name`);
  return rows.map(toOutput);
}

export async function setOutputStatus(db: Pick<Database, 'query'>, id: string, status: OutputStatusValue, reason: string | null): Promise<void> {
  await db.query('UPDATE outputs SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1', [id, status, reason]);
}

/** Deletes the output with its positions, chosen sources and secrets; its events stay. */
export async function deleteOutput(db: Pick<Database, 'query'>, id: string): Promise<void> {
  await db.query('DELETE FROM outputs WHERE id = $1', [id]);
}

/** Sources (not removed) that an output takes: all of them, or its chosen ones. */
export async function sourcesOfOutput(db: Pick<Database, 'query'>, outputId: string): Promise<{ id: string; name: string; organizationId: string }[]> {
  const { rows } = await db.query<{ id: string; name: string; organization_id: string }>(
    `SELECT s.id, s.name, s.organization_id FROM sources s JOIN outputs o ON o.id = $1
      WHERE s.status <> 'removed' AND (o.all_sources OR EXISTS (SELECT 1 FROM output_sources os WHERE os.output_id = o.id AND os.source_id = s.id))
      ORDER BY s.name`,
    [outputId],
  );
  return rows.map((row) => ({ id: row.id, name: row.name, organizationId: row.organization_id }));
}

/** The active outputs that take a source: the ones to wake when its events arrive. */
export async function activeOutputsOfSource(db: Pick<Database, 'query'>, sourceId: string): Promise<{ id: string; name: string; batching: OutputBatching }[]> {
  const { rows } = await db.query(
    `SELECT o.id, o.name, o.batch_max_events, o.batch_max_bytes, o.batch_max_age_seconds FROM outputs o
      WHERE o.status = 'active' AND (o.all_sources OR EXISTS (SELECT 1 FROM output_sources os WHERE os.output_id = o.id AND os.source_id = $1))`,
    [sourceId],
  );
  return rows.map((row) => ({ id: row.id as string, name: row.name as string, batching: batchingOf(row) }));
}
