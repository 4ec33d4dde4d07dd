import { ApplicationFailure, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PRUNED_TABLES, type PrunedTable, type StoreMaintenanceInput, type StoreMaintenanceResult } from '../contract/store-maintenance';

/** Each call is bounded (sources, batches) and heartbeats, so a lost worker is noticed in seconds, not at the timeout. */
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  // A step that keeps failing fails the run; the Schedule starts the next one within the hour.
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

/** Calls per table and run: a first run after a long pause prunes the rest at the next runs, not in one endless one. */
export const MAX_PRUNE_CALLS_PER_TABLE = 100;
export const MAX_MOVE_CALLS_PER_RUN = 100;

/**
 * One store maintenance run, started by its Schedule: partitions ahead, the online move of events from before
 * partitioning, expired months dropped per source, and every other table pruned by age. Ages are judged against one
 * instant (the run's start, or `asOf`), so a late run catches up in one pass: expired months go, and partitions are
 * made ahead of that instant only. History holds counts and names only, never an event.
 */
export async function storeMaintenanceWorkflow(input: StoreMaintenanceInput = {}): Promise<StoreMaintenanceResult> {
  const asOf = input.asOf ?? new Date().toISOString();
  const { workflowId, runId } = workflowInfo();
  const { maintenanceRunId } = await steps.beginStoreMaintenance({ asOf, workflowId, runId });
  const run = { maintenanceRunId, asOf };
  const result: StoreMaintenanceResult = {
    maintenanceRunId,
    partitionsCreated: 0,
    monthsDropped: 0,
    monthsDeferred: 0,
    rowsPruned: Object.fromEntries(PRUNED_TABLES.map((table) => [table, 0])) as Record<PrunedTable, number>,
    eventsMoved: 0,
  };
  try {
    setCurrentDetails(`as of ${asOf}: partitions ahead`);
    ({ created: result.partitionsCreated } = await steps.ensurePartitionsAhead({ ...run, monthsAhead: input.monthsAhead }));

    setCurrentDetails(`as of ${asOf}: moving events into partitions`);
    for (let call = 0; call < MAX_MOVE_CALLS_PER_RUN; call++) {
      const { moved, remaining } = await steps.moveUnpartitioned({ maintenanceRunId });
      result.eventsMoved += moved;
      if (remaining === 0 || moved === 0) break;
    }

    // After the partitions ahead: a month made there that is already past a source's retention goes here, in this run.
    setCurrentDetails(`as of ${asOf}: dropping expired months`);
    let afterName: string | null = null;
    do {
      const page: { dropped: number; deferred: number; nextAfterName: string | null } = await steps.dropExpiredMonths({ ...run, afterName });
      result.monthsDropped += page.dropped;
      result.monthsDeferred += page.deferred;
      afterName = page.nextAfterName;
    } while (afterName !== null);

    for (const table of PRUNED_TABLES) {
      setCurrentDetails(`as of ${asOf}: pruning ${table}`);
      for (let call = 0; call < MAX_PRUNE_CALLS_PER_TABLE; call++) {
        const { pruned, more } = await steps.pruneStoreTable({ ...run, table });
        result.rowsPruned[table] += pruned;
        if (!more) break;
      }
    }
  } catch (err) {
    await steps.finishStoreMaintenance({ maintenanceRunId, error: describe(err) });
    throw err;
  }
  await steps.finishStoreMaintenance({ maintenanceRunId });
  setCurrentDetails(
    `as of ${asOf}: ${result.partitionsCreated} partitions made, ${result.monthsDropped} months dropped (${result.monthsDeferred} deferred), ` +
      `${Object.values(result.rowsPruned).reduce((a, b) => a + b, 0)} rows pruned, ${result.eventsMoved} events moved`,
  );
  return result;
}

function describe(err: unknown): string {
  const failure = err as { cause?: unknown; message?: string };
  const cause = failure.cause instanceof ApplicationFailure ? failure.cause.message : undefined;
  return (cause ?? failure.message ?? String(err)).split('\n')[0].slice(0, 500);
}
