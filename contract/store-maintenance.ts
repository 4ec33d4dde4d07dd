// The store maintenance workflow's input and result: retention, partitions ahead, and the bounded tables.

/** Tables pruned by age, in the order a run prunes them; each one's default age is in store/store-pruning.ts. */
export const PRUNED_TABLES = ['alerts', 'alert_deliveries', 'detections', 'quarantined_events', 'api_pacing', 'maintenance_runs'] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

/** Hourly: partitions ahead and prunes never fall far behind, and a step that was refused a lock is tried again soon. */
export const STORE_MAINTENANCE_INTERVAL = '1 hour';

export interface StoreMaintenanceInput {
  /** The instant ages are judged against (ISO 8601); the workflow's start time when absent. Tests give a fixed one. */
  asOf?: string;
  /** Months of event partitions made ahead of the current one (the store's default when absent). */
  monthsAhead?: number;
}

export interface StoreMaintenanceResult {
  maintenanceRunId: number;
  partitionsCreated: number;
  monthsDropped: number;
  /** Months that were due but whose drop could not take its lock in time: tried again at the next run. */
  monthsDeferred: number;
  rowsPruned: Record<PrunedTable, number>;
  eventsMoved: number;
}
