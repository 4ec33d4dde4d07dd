import { apiKeyContext, CredentialsKeyError, webhookSecretContext, type CredentialCipher } from './credentials';
import type { Database } from './database';

const BATCH_SIZE = 100;

/** Every sealed column, with how to name its rows and the context each value is bound to. */
const SEALED_COLUMNS = [
  { table: 'sources', column: 'api_key_ciphertext', label: "API key of source", context: (row: SealedRow) => apiKeyContext(row.id) },
  { table: 'alert_destinations', column: 'signing_secret', label: 'signing secret of destination', context: (row: SealedRow) => webhookSecretContext(row.url!) },
  // Pending notices carry a copy of their destination's secret.
  { table: 'alert_deliveries', column: 'signing_secret', label: 'signing secret of notice', context: (row: SealedRow) => webhookSecretContext(row.url!) },
] as const;

interface SealedRow {
  id: string;
  url?: string;
  sealed: Buffer;
}

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
    const urlColumn = target.table === 'sources' ? 'NULL::text' : 'url';
    for (let after = ''; ; ) {
      const { rows } = await db.query<SealedRow>(
        `SELECT id::text AS id, ${urlColumn} AS url, ${target.column} AS sealed FROM ${target.table}
          WHERE ${target.column} IS NOT NULL AND id::text > $1 ORDER BY id::text LIMIT $2`,
        [after, BATCH_SIZE],
      );
      if (rows.length === 0) break;
      await db.withTransaction(async (tx) => {
        for (const row of rows) {
          // Opened even when current: a value copied from another row fails here, not at its next use.
          let secret: string;
          try {
            secret = cipher.open(row.sealed, target.context(row));
          } catch (err) {
            if (!(err instanceof CredentialsKeyError)) throw err;
            report.failed.push(`${target.label} ${row.id}: ${err.message}`);
            continue;
          }
          if (cipher.isCurrent(row.sealed)) {
            report.alreadyCurrent++;
            continue;
          }
          const { rowCount } = await tx.query(`UPDATE ${target.table} SET ${target.column} = $3 WHERE id::text = $1 AND ${target.column} = $2`, [
            row.id,
            row.sealed,
            cipher.seal(secret, target.context(row)),
          ]);
          if (rowCount === 1) report.reencrypted++;
        }
      });
      after = rows[rows.length - 1].id;
    }
  }
  return report;
}
