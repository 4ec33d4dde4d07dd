import { apiKeyContext, CredentialsKeyError, outputSecretContext, webhookSecretContext, webhookUrlContext, type CredentialCipher } from './credentials';
import type { Database } from './database';

const BATCH_SIZE = 100;

interface SealedRow {
  id: string;
  sealed: Buffer;
  /** Of a destination row; null elsewhere. */
  source_id: string | null;
  format: string | null;
  url: string | null;
  sealed_url: Buffer | null;
}

/** A destination's webhook URL, the context its signing secret is bound to; clear only on a row not yet sealed. */
const destinationUrl = (row: SealedRow, cipher: CredentialCipher) => row.url ?? cipher.open(row.sealed_url!, webhookUrlContext(row.source_id, row.format!));
const DESTINATION_COLUMNS = 'source_id::text, format, url, sealed_url';

/** Every sealed column, with how to name its rows and the context each value is bound to. */
const SEALED_COLUMNS = [
  {
    table: 'sources',
    column: 'api_key_ciphertext',
    label: 'API key of source',
    columns: 'NULL::text AS source_id, NULL::text AS format, NULL::text AS url, NULL::bytea AS sealed_url',
    context: (row: SealedRow) => apiKeyContext(row.id),
  },
  // URLs first: the signing secrets below are bound to them.
  {
    table: 'alert_destinations',
    column: 'sealed_url',
    label: 'webhook URL of destination',
    columns: DESTINATION_COLUMNS,
    context: (row: SealedRow) => webhookUrlContext(row.source_id, row.format!),
  },
  {
    table: 'alert_destinations',
    column: 'signing_secret',
    label: 'signing secret of destination',
    columns: DESTINATION_COLUMNS,
    context: (row: SealedRow, cipher: CredentialCipher) => webhookSecretContext(destinationUrl(row, cipher)),
  },
  {
    table: 'output_secrets',
    column: 'sealed',
    label: 'secret of output',
    // A secret's row is its output and its name: "<output uuid>:<name>", the uuid 36 characters long.
    id: "output_id::text || ':' || name",
    columns: 'NULL::text AS source_id, NULL::text AS format, NULL::text AS url, NULL::bytea AS sealed_url',
    context: (row: SealedRow) => outputSecretContext(row.id.slice(0, 36), row.id.slice(37)),
  },
] as const;

/** The text that names a row of a sealed column's table, in order. */
const rowId = (target: (typeof SEALED_COLUMNS)[number]) => ('id' in target ? target.id : 'id::text');

export interface ReencryptReport {
  reencrypted: number;
  alreadyCurrent: number;
  /** Values no configured key opens: what they are, never their content. */
  failed: string[];
}

/**
 * Checks that every sealed value opens for its row, and moves it to the newest credentials key and the current
 * layout, a batch per transaction. Safe to
 * interrupt and run again (a value already current is skipped), and alongside running workers: a value is replaced
 * only if it is still the one that was read.
 */
export async function reencryptSecrets(db: Database, cipher: CredentialCipher): Promise<ReencryptReport> {
  const report: ReencryptReport = { reencrypted: 0, alreadyCurrent: 0, failed: [] };
  for (const target of SEALED_COLUMNS) {
    for (let after = ''; ; ) {
      const { rows } = await db.query<SealedRow>(
        `SELECT ${rowId(target)} AS id, ${target.columns}, ${target.column} AS sealed FROM ${target.table}
          WHERE ${target.column} IS NOT NULL AND ${rowId(target)} > $1 ORDER BY ${rowId(target)} LIMIT $2`,
        [after, BATCH_SIZE],
      );
      if (rows.length === 0) break;
      await db.withTransaction(async (tx) => {
        for (const row of rows) {
          // Opened even when current: a value copied from another row fails here, not at its next use.
          let secret: string;
          let context: string;
          try {
            context = target.context(row, cipher);
            secret = cipher.open(row.sealed, context);
          } catch (err) {
            if (!(err instanceof CredentialsKeyError)) throw err;
            report.failed.push(`${target.label} ${row.id}: ${err.message}`);
            continue;
          }
          if (cipher.isCurrent(row.sealed)) {
            report.alreadyCurrent++;
            continue;
          }
          const { rowCount } = await tx.query(`UPDATE ${target.table} SET ${target.column} = $3 WHERE ${rowId(target)} = $1 AND ${target.column} = $2`, [
            row.id,
            row.sealed,
            cipher.seal(secret, context),
          ]);
          if (rowCount === 1) report.reencrypted++;
        }
      });
      after = rows[rows.length - 1].id;
    }
  }
  return report;
}
