import type { Database } from '../../store/database';

export async function positionOf(db: Database, outputId: string, sourceId: string): Promise<{ delivered: number; claimed: number | null; lastError: string | null }> {
  const { rows } = await db.query('SELECT delivered_seq, claimed_through_seq, last_error FROM output_positions WHERE output_id = $1 AND source_id = $2', [outputId, sourceId]);
  if (rows.length === 0) return { delivered: 0, claimed: null, lastError: null };
  return { delivered: Number(rows[0].delivered_seq), claimed: rows[0].claimed_through_seq === null ? null : Number(rows[0].claimed_through_seq), lastError: rows[0].last_error };
}

/** The source's event ids in seq order, and the highest seq. */
export async function eventsBySeq(db: Database, sourceId: string): Promise<{ ids: string[]; maxSeq: number }> {
  const { rows } = await db.query<{ event_id: string; seq: string }>('SELECT event_id, seq FROM events WHERE source_id = $1 ORDER BY seq', [sourceId]);
  return { ids: rows.map((r) => r.event_id), maxSeq: rows.length ? Number(rows[rows.length - 1].seq) : 0 };
}

/** The order in which ids first reached the receiver (a repeat keeps its first place), and how many repeats came. */
export function firstArrivals(records: Record<string, any>[]): { ids: string[]; duplicates: number } {
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const record of records) {
    if (seen.has(record.id)) continue;
    seen.add(record.id);
    ids.push(record.id);
  }
  return { ids, duplicates: records.length - ids.length };
}
