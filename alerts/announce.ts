import type { Database } from '../store/database';
import { tellSourceWorkflow } from './wake';

/**
 * Alerts opened or resolved up to this long before the previous round count again: an opener's transaction stamps
 * its start, and may commit after a round that looked. Telling a source twice costs one harmless signal.
 */
const OVERLAP = '30 seconds';

/**
 * Tells the workflow of every source whose alerts changed since the previous round, so that its AlertOpen search
 * attribute follows alerts opened anywhere: by detections inside the ingest transaction, by the watchdog, by hand.
 * Returns the database time to pass as `since` next round.
 */
export function createAlertAnnouncer(db: Database) {
  return async function announceAlertChanges({ since }: { since: string | null }): Promise<{ until: string }> {
    const { rows: clock } = await db.query<{ now: Date }>('SELECT now() AS now');
    // A first round (no `since`) looks back over the overlap too: a wake that arrived before it must not be lost.
    const { rows } = await db.query<{ name: string }>(
      `SELECT DISTINCT s.name FROM alerts a JOIN sources s ON s.id = a.source_id
       WHERE a.opened_at >= COALESCE($1::timestamptz, $3::timestamptz) - $2::interval
          OR a.resolved_at >= COALESCE($1::timestamptz, $3::timestamptz) - $2::interval`,
      [since, OVERLAP, clock[0].now],
    );
    for (const { name } of rows) await tellSourceWorkflow(name);
    return { until: clock[0].now.toISOString() };
  };
}
