import type { PrunedTable } from '../contract/store-maintenance';
import type { Database } from './database';

// Every table but events is bounded by deleting old rows in small batches: each batch is one short statement, so
// ingestion, which touches few of these rows, never waits behind a prune.

/** The default ages (docs/store.md, "Store maintenance"). Open alerts and pending notices are never pruned. */
export const PRUNE_AGES_DAYS = {
  /** Resolved alerts, with their notices, this long after they were resolved. */
  resolvedAlerts: 180,
  /** Delivered or failed notices of alerts that are kept, this long after they were queued. */
  finishedDeliveries: 30,
  /** Pacing rows of an organization nobody requested for this long: the next request writes its row again. */
  idlePacing: 7,
  /** Held events that were re-ingested (stored as events since) this long ago. */
  reingestedQuarantine: 30,
  /** Finished maintenance records. */
  finishedMaintenanceRuns: 90,
} as const;

/** Where a source's kept data starts; sources under a legal hold are not listed and lose nothing. */
export interface SourceCutoff {
  sourceId: string;
  cutoff: Date;
}

/**
 * Deletes up to `limit` rows of `table` that are past their age as of `now`; returns how many. Detections and held
 * events go with their source's events: older than its retention cutoff (unheld sources only, as `cutoffs` lists).
 */
export async function pruneBatch(db: Database, table: PrunedTable, now: Date, cutoffs: readonly SourceCutoff[], limit: number): Promise<number> {
  const ago = (days: number) => new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
  const sourceIds = cutoffs.map((c) => c.sourceId);
  const cutoffTimes = cutoffs.map((c) => c.cutoff);
  const perSource = `cutoffs AS (SELECT * FROM unnest($2::uuid[], $3::timestamptz[]) AS c (source_id, cutoff))`;
  switch (table) {
    case 'alerts':
      return deleted(db, `DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE status = 'resolved' AND resolved_at < $1 LIMIT $2)`, [ago(PRUNE_AGES_DAYS.resolvedAlerts), limit]);
    case 'alert_deliveries':
      return deleted(
        db,
        `DELETE FROM alert_deliveries WHERE id IN (SELECT id FROM alert_deliveries WHERE status <> 'pending' AND created_at < $1 LIMIT $2)`,
        [ago(PRUNE_AGES_DAYS.finishedDeliveries), limit],
      );
    case 'detections':
      return deleted(
        db,
        `WITH ${perSource}
         DELETE FROM detections WHERE id IN (
           SELECT d.id FROM cutoffs c CROSS JOIN LATERAL (
             SELECT id FROM detections d WHERE d.source_id = c.source_id AND d.event_time < c.cutoff LIMIT $1) d
           LIMIT $1)`,
        [limit, sourceIds, cutoffTimes],
      );
    case 'quarantined_events':
      return deleted(
        db,
        `WITH ${perSource}
         DELETE FROM quarantined_events WHERE id IN (
           (SELECT id FROM quarantined_events WHERE reingested_at < $4 LIMIT $1)
           UNION ALL
           (SELECT q.id FROM cutoffs c CROSS JOIN LATERAL (
              SELECT id FROM quarantined_events q WHERE q.source_id = c.source_id AND q.quarantined_at < c.cutoff LIMIT $1) q
            LIMIT $1))`,
        [limit, sourceIds, cutoffTimes, ago(PRUNE_AGES_DAYS.reingestedQuarantine)],
      );
    case 'api_pacing':
      return deleted(
        db,
        `DELETE FROM api_pacing WHERE budget IN (SELECT budget FROM api_pacing WHERE GREATEST(next_request_at, spacing_until) < $1 LIMIT $2)`,
        [ago(PRUNE_AGES_DAYS.idlePacing), limit],
      );
    case 'maintenance_runs':
      return deleted(
        db,
        `DELETE FROM maintenance_runs WHERE id IN (SELECT id FROM maintenance_runs WHERE status <> 'running' AND finished_at < $1 LIMIT $2)`,
        [ago(PRUNE_AGES_DAYS.finishedMaintenanceRuns), limit],
      );
  }
}

async function deleted(db: Database, sql: string, params: unknown[]): Promise<number> {
  return (await db.query(sql, params)).rowCount ?? 0;
}
