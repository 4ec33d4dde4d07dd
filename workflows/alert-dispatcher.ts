import { allHandlersFinished, condition, continueAsNew, deprecatePatch, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import { AUTO_RESOLVE_IN_DISPATCHER } from './patches';
import type { Activities } from '../activities';
import type { AlertDispatcherInput } from '../contract/alert-workflows';
import { wakeDispatcherSignal } from '../contract/alert-messages';

/**
 * A round sends its notices concurrently, each with a 10 s timeout; a round lost with its worker is retried after
 * this timeout, so it is kept short.
 */
const { deliverPendingAlerts, checkKeyExpiries, announceAlertChanges, resolveDueAlerts } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Alerts opened without a wake-up (detections, inside the ingest transaction) wait at most this long. */
export const SWEEP_INTERVAL_MS = 30_000;
/** Key expiry alerts fire days ahead: checking every few minutes is plenty. */
export const KEY_EXPIRY_CHECK_INTERVAL_MS = 10 * 60_000;
export const MAX_ROUNDS_PER_RUN = 500;

/**
 * Delivers the alert outbox for one task queue: a round, then a durable timer until the earliest retry is due or the
 * next sweep, cut short when an alert opener wakes it. A destination that keeps failing only makes its own rows
 * wait; ingestion never waits on a webhook. Each round also tells source workflows whose alerts changed (AlertOpen),
 * and every few minutes the key expiry check runs.
 */
export async function alertDispatcherWorkflow(input: AlertDispatcherInput = {}): Promise<void> {
  let woken = false;
  setHandler(wakeDispatcherSignal, () => {
    woken = true;
  });
  let nextKeyCheckAt = input.nextKeyCheckAt ?? Date.now();
  let announcedUntil = input.announcedUntil ?? null;

  for (let round = 1; ; round++) {
    woken = false;
    if (Date.now() >= nextKeyCheckAt) {
      await checkKeyExpiries();
      nextKeyCheckAt = Date.now() + KEY_EXPIRY_CHECK_INTERVAL_MS;
    }
    // Before the delivery, so that the resolved notices of this round's auto-resolved alerts go out in it.
    deprecatePatch(AUTO_RESOLVE_IN_DISPATCHER);
    await resolveDueAlerts();
    const result = await deliverPendingAlerts();
    ({ until: announcedUntil } = await announceAlertChanges({ since: announcedUntil }));
    setCurrentDetails(
      `last round at ${new Date().toISOString()}: ${result.delivered} delivered, ${result.failed} failed of ${result.attempted}` +
        (result.nextDueAt ? `; next retry due ${result.nextDueAt}` : '; nothing pending'),
    );

    if (round >= (input.maxRoundsPerRun ?? MAX_ROUNDS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof alertDispatcherWorkflow>({ ...input, nextKeyCheckAt, announcedUntil });
    }
    if (result.more || woken) continue;

    const retryAt = result.nextDueAt ? Date.parse(result.nextDueAt) : Infinity;
    const next = Math.min(retryAt, Date.now() + SWEEP_INTERVAL_MS, nextKeyCheckAt);
    // A floor of a second: a row leased by another deliverer may look due to a clock that runs a little ahead.
    const wait = Math.max(next - Date.now(), 1000);
    await condition(() => woken, wait, { summary: `next delivery round at ${new Date(Date.now() + wait).toISOString()}` });
  }
}
