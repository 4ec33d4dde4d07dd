import { Context } from '@temporalio/activity';
import type { PrunedTable } from '../contract/store-maintenance';
import type { Database } from '../store/database';
import { DEFAULT_MONTHS_AHEAD, dropEventMonth, ensureEventPartitions, eventMonthsOf } from '../store/event-partitions';
import { moveUnpartitionedEvents } from '../store/event-upgrade';
import { beginMaintenanceRun, finishMaintenanceRun, recordMaintenanceStep } from '../store/maintenance-runs';
import { oldestUndeliveredEventTime } from '../store/output-positions';
import { listSourceRetention, monthOf, monthStart } from '../store/retention';
import { pruneBatch, type SourceCutoff } from '../store/store-pruning';

/**
 * Something that must keep a source's events past their retention: the oldest event time it still needs (its month
 * and every later one are kept), or null when it needs none. An output's undelivered events are one.
 */
export interface RetentionHold {
  /** Said in the run's report when the hold kept a month that retention would have dropped. */
  name: string;
  oldestKept(db: Database, sourceId: string): Promise<Date | null>;
}

/** Invariant 10: retention never drops what an output has not delivered. */
export const UNDELIVERED_BY_OUTPUTS: RetentionHold = {
  name: 'events not yet delivered by an output',
  oldestKept: oldestUndeliveredEventTime,
};

export interface StoreMaintenanceDependencies {
  /** The holds besides a legal hold; the outputs' undelivered events unless a test drives its own. */
  holds?: readonly RetentionHold[];
}

/** Sources per retention call: a call stays short, and a retried one repeats little (drops are idempotent anyway). */
export const SOURCES_PER_CALL = 25;
/** Rows per prune statement, and statements per call: small enough that no statement holds locks for long. */
export const PRUNE_BATCH_ROWS = 1000;
export const PRUNE_BATCHES_PER_CALL = 50;
export const MOVE_BATCH_ROWS = 5000;
export const MOVE_BATCHES_PER_CALL = 20;

/** A partition drop that could not take its lock in time, or lost a deadlock: tried again at the next run. */
const LOCK_REFUSALS = new Set(['55P03', '57014', '40P01']);

interface RunStep {
  maintenanceRunId: number;
  asOf: string;
}

export function createStoreMaintenanceActivities(db: Database, { holds = [UNDELIVERED_BY_OUTPUTS] }: StoreMaintenanceDependencies = {}) {
  /** Where each unheld source's kept data starts, before the holds: legal holds keep everything, so such sources are absent. */
  async function retentionCutoffs(asOf: Date): Promise<SourceCutoff[]> {
    return (await listSourceRetention(db, asOf)).flatMap((source) => (source.cutoff === null ? [] : [{ sourceId: source.sourceId, cutoff: source.cutoff }]));
  }

  return {
    async beginStoreMaintenance({ asOf, workflowId, runId }: { asOf: string; workflowId: string; runId: string }): Promise<{ maintenanceRunId: number }> {
      return { maintenanceRunId: await beginMaintenanceRun(db, { workflowId, runId, asOf: new Date(asOf) }) };
    },

    /** Every source's months up to `monthsAhead` after the current one, none before its retention cutoff. */
    async ensurePartitionsAhead({ maintenanceRunId, asOf, monthsAhead = DEFAULT_MONTHS_AHEAD }: RunStep & { monthsAhead?: number }): Promise<{ created: number }> {
      const created = await ensureEventPartitions(db, new Date(asOf), monthsAhead);
      await recordMaintenanceStep(db, maintenanceRunId, 'partitions', { created: created.length }, { tables: created.slice(0, 100) });
      return { created: created.length };
    },

    /** Runs the online move of events from the table of before partitioning, a bounded number of batches per call. */
    async moveUnpartitioned({ maintenanceRunId }: { maintenanceRunId: number }): Promise<{ moved: number; remaining: number }> {
      let moved = 0;
      let remaining = 0;
      for (let batch = 0; batch < MOVE_BATCHES_PER_CALL; batch++) {
        const step = await moveUnpartitionedEvents(db, MOVE_BATCH_ROWS);
        moved += step.moved;
        remaining = step.remaining;
        Context.current().heartbeat({ moved });
        if (remaining === 0 || step.moved === 0) break;
      }
      await recordMaintenanceStep(db, maintenanceRunId, 'move', { moved }, { remaining });
      return { moved, remaining };
    },

    /**
     * Drops the expired months of up to SOURCES_PER_CALL sources after `afterName` (name order): every month before
     * the source's cutoff, unless a legal hold keeps the source or a retention hold keeps the month. Events are
     * only ever dropped by whole partitions, never deleted by rows.
     */
    async dropExpiredMonths({ maintenanceRunId, asOf, afterName }: RunStep & { afterName: string | null }): Promise<{ dropped: number; deferred: number; nextAfterName: string | null }> {
      const sources = (await listSourceRetention(db, new Date(asOf))).filter((source) => afterName === null || source.name > afterName);
      const batch = sources.slice(0, SOURCES_PER_CALL);
      const counts = { dropped: 0, deferred: 0, rowsDropped: 0, sourcesHeld: 0 };
      const details: Record<string, unknown> = {};
      for (const source of batch) {
        if (source.cutoff === null) {
          counts.sourcesHeld++;
          continue;
        }
        let cutoff = source.cutoff;
        const keptBy: string[] = [];
        for (const hold of holds) {
          const oldest = await hold.oldestKept(db, source.sourceId);
          if (oldest !== null && oldest < cutoff) {
            cutoff = monthStart(monthOf(oldest));
            keptBy.push(hold.name);
          }
        }
        const expired = (await eventMonthsOf(db, source.sourceId)).filter(({ month }) => monthStart(month) < cutoff);
        for (const { month } of expired) {
          Context.current().heartbeat({ source: source.name, month });
          try {
            const result = await dropEventMonth(db, source.sourceId, month);
            if (result === null) continue;
            counts.dropped++;
            counts.rowsDropped += result.rows;
            details[`${source.name} ${month}`] = { rows: result.rows };
          } catch (err) {
            if (!LOCK_REFUSALS.has((err as { code?: string }).code ?? '')) throw err;
            counts.deferred++;
            details[`${source.name} ${month}`] = { deferred: (err as Error).message.split('\n')[0] };
          }
        }
        if (keptBy.length > 0) details[`${source.name} kept from ${monthOf(cutoff)}`] = { by: keptBy };
      }
      await recordMaintenanceStep(db, maintenanceRunId, 'retention', counts, details);
      const nextAfterName = sources.length > batch.length ? batch[batch.length - 1].name : null;
      return { dropped: counts.dropped, deferred: counts.deferred, nextAfterName };
    },

    /** Prunes one table by age, in short statements, up to PRUNE_BATCHES_PER_CALL of them; `more` asks for another call. */
    async pruneStoreTable({ maintenanceRunId, asOf, table }: RunStep & { table: PrunedTable }): Promise<{ pruned: number; more: boolean }> {
      const when = new Date(asOf);
      const cutoffs = table === 'detections' || table === 'quarantined_events' ? await retentionCutoffs(when) : [];
      let pruned = 0;
      for (let batch = 0; batch < PRUNE_BATCHES_PER_CALL; batch++) {
        const rows = await pruneBatch(db, table, when, cutoffs, PRUNE_BATCH_ROWS);
        pruned += rows;
        Context.current().heartbeat({ table, pruned });
        if (rows < PRUNE_BATCH_ROWS) {
          await recordMaintenanceStep(db, maintenanceRunId, 'pruned', { [table]: pruned });
          return { pruned, more: false };
        }
      }
      await recordMaintenanceStep(db, maintenanceRunId, 'pruned', { [table]: pruned });
      return { pruned, more: true };
    },

    async finishStoreMaintenance({ maintenanceRunId, error }: { maintenanceRunId: number; error?: string }): Promise<void> {
      await finishMaintenanceRun(db, maintenanceRunId, { error });
    },
  };
}
