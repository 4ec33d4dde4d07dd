import type { Database } from '../database';
import type { ErasureHasher, ErasureKey } from './erasure-keys';
import type { Tally } from './tally';

/** What an operator asks for: the record keeps all of it but the key, which it keeps hashed. */
export interface ErasureRequest {
  key: ErasureKey;
  requestedBy: string;
  reason: string | null;
  /** The sources to limit it to; null: every source. */
  sources: Array<{ id: string; name: string }> | null;
  /** Count what would be redacted, change nothing, record nothing. */
  dryRun: boolean;
}

export interface EarlierErasure {
  id: number;
  requestedBy: string;
  startedAt: Date;
  /** null: it was interrupted (or still runs). */
  finishedAt: Date | null;
  redactedRows: number;
}

/** Written before the first row changes, so that even an interrupted run leaves its record. */
export async function startErasureRecord(db: Database, hasher: ErasureHasher, request: ErasureRequest, pseudonyms: string[]): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO erasures (key_kind, key_hash, key_id, requested_by, reason, sources, pseudonyms)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [request.key.kind, hasher.keyHash(request.key), hasher.keyId, request.requestedBy, request.reason, request.sources?.map((s) => s.name) ?? null, pseudonyms],
  );
  return Number(rows[0].id);
}

export async function updateErasureCounts(db: Database, id: number, tally: Tally): Promise<void> {
  await db.query('UPDATE erasures SET counts = $2, redacted_rows = $3 WHERE id = $1', [id, JSON.stringify(tally.counts), tally.total()]);
}

export async function finishErasureRecord(db: Database, id: number, tally: Tally): Promise<void> {
  await db.query('UPDATE erasures SET counts = $2, redacted_rows = $3, finished_at = now() WHERE id = $1', [id, JSON.stringify(tally.counts), tally.total()]);
}

export async function earlierErasures(db: Database, keyHashes: string[]): Promise<EarlierErasure[]> {
  const { rows } = await db.query<{ id: string; requested_by: string; started_at: Date; finished_at: Date | null; redacted_rows: string }>(
    'SELECT id, requested_by, started_at, finished_at, redacted_rows FROM erasures WHERE key_hash = ANY($1) ORDER BY id',
    [keyHashes],
  );
  return rows.map((r) => ({ id: Number(r.id), requestedBy: r.requested_by, startedAt: r.started_at, finishedAt: r.finished_at, redactedRows: Number(r.redacted_rows) }));
}
