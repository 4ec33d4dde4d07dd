import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import type { RetentionHold } from '../../activities/store-maintenance';
import type { StoreMaintenanceInput, StoreMaintenanceResult } from '../../contract/store-maintenance';
import type { EventRow } from '../../atlassian/normalize';
import type { Database } from '../../store/database';
import { createEventMonth, eventMonthsOf } from '../../store/event-partitions';
import { insertEvents } from '../../store/events';
import { storeMaintenanceWorkflow } from '../../workflows/store-maintenance';
import { createTestSource, testCipher } from '../../harness/sources';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The activities a worker registers, on a test's own database: maintenance prunes every row of a database. */
export function maintenanceActivities(db: Database, extra: { retentionHolds?: RetentionHold[] } = {}) {
  return createActivities({ db, cipher: testCipher, ...extra });
}

/** One maintenance run as its Schedule starts it, judged as of `asOf`. */
export function runMaintenance(client: Client, taskQueue: string, input: StoreMaintenanceInput): Promise<StoreMaintenanceResult> {
  return client.workflow.execute(storeMaintenanceWorkflow, { taskQueue, workflowId: `store-maintenance-test-${randomUUID()}`, args: [input] });
}

export function sourceIn(db: Database, name: string) {
  return createTestSource(db, { name, organizationId: randomUUID(), apiKey: 'simkey_unused', apiBaseUrl: 'http://127.0.0.1:9' });
}

/** Stores one event in each month ('YYYY-MM', the 10th at noon), making the month first as a page would. */
export async function eventsInMonths(db: Database, source: { id: string; name: string }, months: readonly string[]): Promise<void> {
  for (const month of months) await createEventMonth(db, source.id, `${month}-01`);
  await db.withTransaction((tx) => insertEvents(tx, source.id, source.name, months.map((month) => eventAt(`${month}-10T12:00:00.000Z`))));
}

function eventAt(eventTime: string): EventRow {
  const eventId = `evt-${randomUUID()}`;
  const raw = JSON.stringify({ id: eventId, attributes: { time: eventTime, action: 'user_login' } });
  return { eventId, eventTime, processedAt: eventTime, action: 'user_login', actorId: 'a1', actorName: null, actorEmail: null, ip: '192.0.2.1', location: null, anyIpAddresses: [], anyEmails: [], anyUsernames: [], raw };
}

/** The months a source has partitions for, and how many events each holds. */
export async function monthsOf(db: Database, sourceId: string): Promise<Record<string, number>> {
  const months: Record<string, number> = {};
  for (const { month, table } of await eventMonthsOf(db, sourceId)) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
    months[month] = rows[0].n;
  }
  return months;
}
