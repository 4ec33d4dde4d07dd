import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { Database } from './database';
import type { QuarantineEntry, QuarantineReason } from '../atlassian/storable';
import { storableText } from '../atlassian/storable-text';

type Queryable = Pick<PoolClient, 'query'>;

export interface QuarantinedEvent {
  id: number;
  source: string;
  eventId: string | null;
  reason: QuarantineReason;
  detail: string;
  quarantinedAt: Date;
  reingestedAt: Date | null;
  /** Only when asked for: it is an audit event, with e-mail and IP addresses. */
  raw?: string;
}

/**
 * Holds events in the quarantine, in the caller's transaction (the page's). Each event text is held once per source,
 * however often a retried page or a re-read window brings it: returns the entries that were new.
 */
export async function quarantineEvents(q: Queryable, sourceId: string, entries: readonly QuarantineEntry[]): Promise<QuarantineEntry[]> {
  if (entries.length === 0) return [];
  // Raw texts are JSON, which escapes what PostgreSQL refuses; a detail may quote a value, so it is made storable.
  const stored = entries.map((entry) => ({ ...entry, raw: storableText(entry.raw), detail: storableText(entry.detail) }));
  const hashes = stored.map((entry) => createHash('sha256').update(entry.raw).digest('hex'));
  const { rows } = await q.query<{ raw_sha256: string }>(
    `INSERT INTO quarantined_events (source_id, event_id, reason, detail, raw, raw_sha256)
     SELECT $1, e.event_id, e.reason, e.detail, e.raw, e.raw_sha256
       FROM jsonb_to_recordset($2::jsonb) AS e(event_id text, reason text, detail text, raw text, raw_sha256 text)
     ON CONFLICT (source_id, raw_sha256) DO NOTHING
     RETURNING raw_sha256`,
    [sourceId, JSON.stringify(stored.map((entry, i) => ({ event_id: entry.eventId, reason: entry.reason, detail: entry.detail, raw: entry.raw, raw_sha256: hashes[i] })))],
  );
  const added = new Set(rows.map((row) => row.raw_sha256));
  return entries.filter((_, i) => added.has(hashes[i]));
}

/** How many events of the source are held and not yet re-ingested. */
export async function countHeld(q: Queryable, sourceId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantined_events WHERE source_id = $1 AND reingested_at IS NULL', [sourceId]);
  return rows[0].n;
}

export interface QuarantineSelection {
  sourceId?: string;
  ids?: readonly number[];
  /** Also the events already re-ingested. */
  includeReingested?: boolean;
  withRaw?: boolean;
}

export async function listQuarantined(q: Pick<Database, 'query'>, selection: QuarantineSelection): Promise<QuarantinedEvent[]> {
  const { rows } = await q.query<{ id: string; source: string; event_id: string | null; reason: QuarantineReason; detail: string; quarantined_at: Date; reingested_at: Date | null; raw: string | null }>(
    `SELECT qe.id, s.name AS source, qe.event_id, qe.reason, qe.detail, qe.quarantined_at, qe.reingested_at,
            CASE WHEN $4 THEN qe.raw END AS raw
       FROM quarantined_events qe JOIN sources s ON s.id = qe.source_id
      WHERE ($1::uuid IS NULL OR qe.source_id = $1) AND ($2::bigint[] IS NULL OR qe.id = ANY($2))
        AND ($3 OR qe.reingested_at IS NULL)
      ORDER BY qe.id`,
    [selection.sourceId ?? null, selection.ids ?? null, selection.includeReingested ?? false, selection.withRaw ?? false],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    source: row.source,
    eventId: row.event_id,
    reason: row.reason,
    detail: row.detail,
    quarantinedAt: row.quarantined_at,
    reingestedAt: row.reingested_at,
    ...(row.raw !== null ? { raw: row.raw } : {}),
  }));
}

/** The held event with its text and its source, locked until the caller's transaction ends. */
export async function lockHeldEvent(q: Queryable, id: number): Promise<{ sourceId: string; sourceName: string; raw: string } | undefined> {
  const { rows } = await q.query<{ source_id: string; name: string; raw: string }>(
    `SELECT qe.source_id, s.name, qe.raw FROM quarantined_events qe JOIN sources s ON s.id = qe.source_id
      WHERE qe.id = $1 AND qe.reingested_at IS NULL FOR UPDATE OF qe`,
    [id],
  );
  return rows.length ? { sourceId: rows[0].source_id, sourceName: rows[0].name, raw: rows[0].raw } : undefined;
}

export async function markReingested(q: Queryable, id: number): Promise<void> {
  await q.query('UPDATE quarantined_events SET reingested_at = now() WHERE id = $1', [id]);
}

/** A held event that still cannot be stored keeps its place with the reason the current code gives. */
export async function updateHeldReason(q: Queryable, id: number, reason: QuarantineReason, detail: string): Promise<void> {
  await q.query('UPDATE quarantined_events SET reason = $2, detail = $3 WHERE id = $1', [id, reason, detail]);
}
