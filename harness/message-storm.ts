import type { WorkflowHandle } from '@temporalio/client';
import { alertsChangedSignal, setSilenceAlarmUpdate } from '../contract/alert-messages';
import { pauseSignal, resumeSignal, setIntervalUpdate, statusQuery } from '../contract/source-messages';
import type { sourceWorkflow } from '../workflows/source-workflow';

/** The silence window and interval the final round of `sendMessagesUntilBackfilled` leaves a source with. */
export function settingsAfterRound(round: number): { windowSeconds: number; intervalSeconds: number } {
  return { windowSeconds: [180, 240, 300][round % 3], intervalSeconds: 10 + (round % 5) };
}

/**
 * What operators and the alert dispatcher send a backfilling source, round after round until its backfill is
 * complete: a silence-window update, an alerts-changed signal and an interval update at once, and every sixth round
 * a pause and a resume. Handlers then run while pages do, the case where workflow code is most easily
 * nondeterministic. Returns the number of the last round.
 */
export async function sendMessagesUntilBackfilled(handle: WorkflowHandle<typeof sourceWorkflow>): Promise<number> {
  let round = 0;
  for (; !(await handle.query(statusQuery)).backfill.completed; round++) {
    const { windowSeconds, intervalSeconds } = settingsAfterRound(round);
    await Promise.all([
      handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ windowSeconds, allowShortWindow: true }] }),
      handle.signal(alertsChangedSignal),
      handle.executeUpdate(setIntervalUpdate, { args: [intervalSeconds] }),
      round % 6 === 0 ? handle.signal(pauseSignal, 'messages during a backfill').then(() => handle.signal(resumeSignal)) : undefined,
    ]);
  }
  return round - 1;
}
