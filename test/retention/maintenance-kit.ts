import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import type { EventPartitionStore, RetentionHold } from '../../activities/store-maintenance';
import type { StoreMaintenanceInput, StoreMaintenanceResult } from '../../contract/store-maintenance';
import type { Database } from '../../store/database';
import { storeMaintenanceWorkflow } from '../../workflows/store-maintenance';
import { createTestSource, testCipher } from '../harness/sources';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The activities a worker registers, on a test's own database: maintenance prunes every row of a database. */
export function maintenanceActivities(db: Database, extra: { eventPartitions?: EventPartitionStore; retentionHolds?: RetentionHold[] } = {}) {
  return createActivities({ db, cipher: testCipher, ...extra });
}

/** One maintenance run as its Schedule starts it, judged as of `asOf`. */
export function runMaintenance(client: Client, taskQueue: string, input: StoreMaintenanceInput): Promise<StoreMaintenanceResult> {
  return client.workflow.execute(storeMaintenanceWorkflow, { taskQueue, workflowId: `store-maintenance-test-${randomUUID()}`, args: [input] });
}

export function sourceIn(db: Database, name: string) {
  return createTestSource(db, { name, organizationId: randomUUID(), apiKey: 'simkey_unused', apiBaseUrl: 'http://127.0.0.1:9' });
}
