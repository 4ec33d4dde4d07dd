import type { Logger } from 'pino';
import type { Database } from '../store/database';
import { DEFAULT_MONTHS_AHEAD, ensureEventPartitions } from '../store/event-partitions';
import { DEFAULT_MOVE_BATCH, moveUnpartitionedEvents } from '../store/event-upgrade';

const RETRY_AFTER_MS = 60_000;

/**
 * At a worker's start, in the background: the months ahead of every source, then the events the previous release
 * stored moved batch by batch into the partitioned table until its old table is gone. Several workers may do this at
 * once (each batch locks its source); a failure is logged and tried again a minute later, never stopping the worker.
 */
export function upgradeStoreInBackground(db: Database, logger: Logger, stopping: AbortSignal): void {
  const run = async (): Promise<void> => {
    const created = await ensureEventPartitions(db, new Date(), DEFAULT_MONTHS_AHEAD);
    if (created.length > 0) logger.info(`made ${created.length} event month partition(s) ahead`);
    let moved = 0;
    while (!stopping.aborted) {
      const batch = await moveUnpartitionedEvents(db, DEFAULT_MOVE_BATCH);
      moved += batch.moved;
      if (batch.moved > 0) logger.info(`moved ${moved} event(s) of the previous release into the partitioned table; ${batch.remaining} left`);
      if (batch.remaining === 0 && batch.moved === 0) return;
    }
  };
  const attempt = (): void => {
    run().catch((err: Error) => {
      if (stopping.aborted) return;
      logger.warn(`store upgrade in the background failed (${err.message.split('\n')[0]}); trying again in ${RETRY_AFTER_MS / 1000} s`);
      setTimeout(attempt, RETRY_AFTER_MS).unref();
    });
  };
  attempt();
}
