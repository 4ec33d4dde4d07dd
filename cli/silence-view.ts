import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { silenceWatchdogWorkflowId, sourceWorkflowId } from '../contract/ids';
import { silenceWatchdogQuery, type SilenceWatchdogView } from '../contract/alert-messages';
import { formatDuration } from '../contract/durations';
import { describeCause } from './context';
import { formatTime } from './output';

const QUERY_DEADLINE_MS = 10_000;

export interface SilenceWatch {
  watchdogId: string;
  running: boolean;
  view: SilenceWatchdogView | null;
  note: string | null;
}

/** What the source's silence watchdog says about its deadline, for `status`. */
export async function readSilenceWatch(client: Client, sourceName: string): Promise<SilenceWatch> {
  const watchdogId = silenceWatchdogWorkflowId(sourceWorkflowId(sourceName));
  const handle = client.workflow.getHandle(watchdogId);
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return { watchdogId, running: false, view: null, note: `the watchdog is not running (${status.name.toLowerCase()})` };
    const view = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(silenceWatchdogQuery));
    return { watchdogId, running: true, view, note: null };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { watchdogId, running: false, view: null, note: 'the watchdog has not been started' };
    return { watchdogId, running: true, view: null, note: `the watchdog did not answer (${describeCause(err)})` };
  }
}

/**
 * "2026-05-01T10:00:00Z (in 23h 59m)", "alert open", or why there is no deadline. The source tells its watchdog of
 * new events only every few minutes, so the checkpoint's latest event may put the deadline later than the watchdog's.
 */
export function describeSilenceDeadline(watch: SilenceWatch, lastEventPersistedAt: Date | null, now = Date.now()): string {
  if (!watch.view) return watch.note ?? 'unknown';
  if (watch.view.alertOpen) return 'passed: the silence alert is open until new events are stored';
  if (!watch.view.deadline) return 'not computed yet';
  const fromCheckpoint = lastEventPersistedAt ? lastEventPersistedAt.getTime() + watch.view.windowSeconds * 1000 : 0;
  const deadline = Math.max(Date.parse(watch.view.deadline), fromCheckpoint);
  const left = deadline - now;
  return `${formatTime(new Date(deadline))} (${left > 0 ? `in ${formatDuration(Math.ceil(left / 1000))}` : 'due now'})`;
}
