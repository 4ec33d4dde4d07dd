import { Client, ScheduleAlreadyRunning, type ConnectionLike } from '@temporalio/client';
import { storeMaintenanceScheduleId } from '../contract/ids';
import { STORE_MAINTENANCE_INTERVAL } from '../contract/store-maintenance';
import { storeMaintenanceWorkflow } from '../workflows/store-maintenance';

/**
 * Creates the task queue's store maintenance Schedule unless it exists. An existing one is left as it is: an operator
 * may have paused it or changed its interval in the Web UI, and a worker's start must not undo that.
 */
export async function ensureStoreMaintenanceSchedule(connection: ConnectionLike, namespace: string, taskQueue: string): Promise<'created' | 'existed'> {
  const client = new Client({ connection, namespace });
  try {
    await client.schedule.create({
      scheduleId: storeMaintenanceScheduleId(taskQueue),
      spec: { intervals: [{ every: STORE_MAINTENANCE_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: storeMaintenanceWorkflow,
        taskQueue,
        args: [{}],
        // A run that hangs must not hold the Schedule for ever: with overlaps skipped, no other would start.
        workflowRunTimeout: '6 hours',
        staticSummary: 'store maintenance: event partitions ahead, retention, bounded tables',
      },
      policies: {
        overlap: 'SKIP',
        // Runs missed while Temporal was down are not worth replaying one by one: the next run catches up on its own.
        catchupWindow: '1 hour',
      },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'existed';
    throw err;
  }
}
