import type { Database } from './database';

// How long each source keeps its events, and the legal holds that keep them longer. Written by the CLI and `apply`
// directly (no workflow holds these in memory: store maintenance reads them at each run), read by maintenance. The
// cutoff itself is computed in one place, event_retention_cutoff() of migrations/014_retention.sql, which the
// partition mechanics ask too.

export interface LegalHold {
  id: number;
  sourceId: string;
  placedAt: Date;
  placedBy: string;
  reason: string;
  releasedAt: Date | null;
  releasedBy: string | null;
  releaseReason: string | null;
}

export interface SourceRetention {
  sourceId: string;
  name: string;
  /** The source's own retention; null follows the default. */
  retentionDays: number | null;
  /** What applies: the source's own, else the default. */
  effectiveDays: number;
  /**
   * The first instant the source keeps as of the time asked: the start of the UTC month holding `asOf - effectiveDays`,
   * so every month before it is expired and every event is kept at least its retention. null under a legal hold.
   */
  cutoff: Date | null;
  hold: LegalHold | null;
}

/** 'YYYY-MM' of an instant, in UTC: the name of its month partition. */
export function monthOf(instant: Date): string {
  return instant.toISOString().slice(0, 7);
}

/** The first instant of a 'YYYY-MM' month, UTC. */
export function monthStart(month: string): Date {
  return new Date(`${month}-01T00:00:00.000Z`);
}

export async function readDefaultRetentionDays(db: Database): Promise<number> {
  const { rows } = await db.query<{ days: number }>('SELECT default_retention_days AS days FROM retention_settings');
  return rows[0].days;
}

export async function setDefaultRetentionDays(db: Database, days: number, by: string): Promise<number> {
  const { rows } = await db.query<{ previous: number }>(
    `UPDATE retention_settings s SET default_retention_days = $1, updated_by = $2, updated_at = now()
       FROM (SELECT default_retention_days AS previous FROM retention_settings FOR UPDATE) p
     RETURNING p.previous`,
    [days, by],
  );
  return rows[0].previous;
}

/** null goes back to the default. Returns the source's previous own retention. */
export async function setSourceRetentionDays(db: Database, sourceId: string, days: number | null): Promise<number | null> {
  const { rows } = await db.query<{ previous: number | null }>(
    `UPDATE sources s SET retention_days = $2, updated_at = now()
       FROM (SELECT retention_days AS previous FROM sources WHERE id = $1 FOR UPDATE) p
      WHERE s.id = $1
     RETURNING p.previous`,
    [sourceId, days],
  );
  return rows[0]?.previous ?? null;
}

/** Every source with what applies to it as of `asOf`, in name order: what `retention show` prints and maintenance works from. */
export async function listSourceRetention(db: Database, asOf: Date): Promise<SourceRetention[]> {
  const { rows } = await db.query(
    `SELECT s.id AS source_id, s.name, s.retention_days, COALESCE(s.retention_days, r.default_retention_days) AS effective_days,
            event_retention_cutoff(s.id, $1) AS cutoff, h.id AS hold_id, h.placed_at, h.placed_by, h.reason
       FROM sources s CROSS JOIN retention_settings r
       LEFT JOIN legal_holds h ON h.source_id = s.id AND h.released_at IS NULL
      -- Byte order: maintenance pages through sources by name, comparing names as JavaScript does.
      ORDER BY s.name COLLATE "C"`,
    [asOf],
  );
  return rows.map((row) => ({
    sourceId: row.source_id as string,
    name: row.name as string,
    retentionDays: row.retention_days as number | null,
    effectiveDays: row.effective_days as number,
    cutoff: row.cutoff as Date | null,
    hold:
      row.hold_id === null
        ? null
        : { id: Number(row.hold_id), sourceId: row.source_id, placedAt: row.placed_at, placedBy: row.placed_by, reason: row.reason, releasedAt: null, releasedBy: null, releaseReason: null },
  }));
}

/** Places a hold unless one is open already; returns the open hold and whether this call placed it. */
export async function placeLegalHold(db: Database, sourceId: string, by: string, reason: string): Promise<{ hold: LegalHold; placed: boolean }> {
  const { rows: placed } = await db.query(
    `INSERT INTO legal_holds (source_id, placed_by, reason) VALUES ($1, $2, $3)
     ON CONFLICT (source_id) WHERE released_at IS NULL DO NOTHING RETURNING *`,
    [sourceId, by, reason],
  );
  if (placed.length > 0) return { hold: toHold(placed[0]), placed: true };
  const { rows } = await db.query('SELECT * FROM legal_holds WHERE source_id = $1 AND released_at IS NULL', [sourceId]);
  return { hold: toHold(rows[0]), placed: false };
}

/** Releases the open hold; undefined when there was none. */
export async function releaseLegalHold(db: Database, sourceId: string, by: string, reason: string): Promise<LegalHold | undefined> {
  const { rows } = await db.query(
    `UPDATE legal_holds SET released_at = now(), released_by = $2, release_reason = $3
      WHERE source_id = $1 AND released_at IS NULL RETURNING *`,
    [sourceId, by, reason],
  );
  return rows[0] ? toHold(rows[0]) : undefined;
}

export async function listLegalHolds(db: Database, sourceId: string): Promise<LegalHold[]> {
  const { rows } = await db.query('SELECT * FROM legal_holds WHERE source_id = $1 ORDER BY placed_at DESC, id DESC', [sourceId]);
  return rows.map(toHold);
}

function toHold(row: Record<string, unknown>): LegalHold {
  return {
    id: Number(row.id),
    sourceId: row.source_id as string,
    placedAt: row.placed_at as Date,
    placedBy: row.placed_by as string,
    reason: row.reason as string,
    releasedAt: row.released_at as Date | null,
    releasedBy: row.released_by as string | null,
    releaseReason: row.release_reason as string | null,
  };
}

/** The oldest stored event of a source: what retention has left so far. */
export async function oldestEventTime(db: Database, sourceId: string): Promise<Date | null> {
  const { rows } = await db.query<{ oldest: Date | null }>('SELECT min(event_time) AS oldest FROM events WHERE source_id = $1', [sourceId]);
  return rows[0].oldest;
}
