import type { RunningSimulator, SimulatorOptions } from '../../simulator/server';
import { type SimulatorAndDatabase, useSimulatorAndDatabase } from '../../harness/fixtures';
import { pollNowSignal } from '../../contract/source-messages';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Database } from '../../store/database';
import { setSourceDestination } from '../../alerts/destinations';
import { silenceWatchdogWorkflowId, sourceWorkflowId } from '../../contract/ids';
import { silenceWatchdogQuery } from '../../contract/alert-messages';
import { AlertOpen } from '../../contract/search-attributes';
import { testCipher } from '../../harness/sources';
import { type ReceivedNotice, WebhookReceiver } from '../../harness/webhook-receiver';

export interface AlertRow {
  id: number;
  kind: string;
  dedup_key: string;
  status: 'open' | 'resolved';
  severity: string;
  title: string;
  message: string;
  opened_at: Date;
  resolved_at: Date | null;
  resolution: string | null;
}

export async function alertsOf(db: Database, sourceId: string, kind?: string): Promise<AlertRow[]> {
  const { rows } = await db.query(
    `SELECT id::int AS id, kind, dedup_key, status, severity, title, message, opened_at, resolved_at, resolution
     FROM alerts WHERE source_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY id`,
    [sourceId, kind ?? null],
  );
  return rows as AlertRow[];
}

export async function deliveriesOf(db: Database, alertId: number) {
  const { rows } = await db.query<{ notice: string; format: string; status: string; attempts: number; last_error: string | null }>(
    'SELECT notice, format, status, attempts, last_error FROM alert_deliveries WHERE alert_id = $1 ORDER BY notice, format',
    [alertId],
  );
  return rows;
}

export async function lastEventPersistedAt(db: Database, sourceId: string): Promise<Date | null> {
  const { rows } = await db.query<{ t: Date | null }>('SELECT last_event_persisted_at AS t FROM checkpoints WHERE source_id = $1', [sourceId]);
  return rows[0].t;
}

/** Gives the source a webhook destination of its own on the test's receiver, under a path only it uses. */
export async function routeAlertsTo(db: Database, sourceId: string, receiverUrl: string, format: 'webhook' | 'slack' = 'webhook'): Promise<string> {
  const path = `/${format}/${sourceId}`;
  await setSourceDestination(db.pool, testCipher, sourceId, format, `${receiverUrl}${path}`);
  return path;
}

/** The notices a receiver got about one alert, as (notice, alert id) pairs of the generic webhook format. */
export function noticesAbout(received: ReceivedNotice[], alertId: number): string[] {
  return received.filter((r) => r.body?.alert?.id === alertId).map((r) => r.body.notice as string);
}

export function watchdogOf(client: Client, sourceName: string): WorkflowHandle {
  return client.workflow.getHandle(silenceWatchdogWorkflowId(sourceWorkflowId(sourceName)));
}

export async function watchdogView(client: Client, sourceName: string) {
  return watchdogOf(client, sourceName).query(silenceWatchdogQuery);
}

export async function alertOpenAttribute(handle: WorkflowHandle): Promise<boolean | undefined> {
  return (await handle.describe()).typedSearchAttributes.get(AlertOpen);
}

export async function runIdsOf(client: Client, workflowId: string): Promise<string[]> {
  const runIds: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runIds.push(execution.runId);
  return runIds;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps a source fed for `durationMs`: new events and a poll every 1.5 s, so its silence window keeps restarting.
 * Returns when the last events were added.
 */
export async function keepEventsFlowing(simulator: RunningSimulator, orgId: string, source: WorkflowHandle, durationMs: number, perPoll = 1): Promise<number> {
  let lastAddedAt = Date.now();
  for (const until = Date.now() + durationMs; Date.now() < until; ) {
    simulator.addEvents(orgId, { count: perPoll });
    lastAddedAt = Date.now();
    await source.signal(pollNowSignal);
    await sleep(1_500);
  }
  return lastAddedAt;
}

/** A simulator, the run's database and a local webhook receiver for a file's tests (see useSimulatorAndDatabase). */
export function useAlertFixture(options: SimulatorOptions, use: (fixture: SimulatorAndDatabase & { receiver: WebhookReceiver }) => void): void {
  let receiver: WebhookReceiver | undefined;
  // Registered first, so jest starts the receiver before the hook that hands the whole fixture to `use`.
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  useSimulatorAndDatabase(options, (fixture) => use({ ...fixture, receiver: receiver! }));
}
