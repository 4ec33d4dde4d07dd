import { WorkflowUpdateFailedError } from '@temporalio/client';
import { updateSource, type SourceRecord } from '../../activities/store/sources';
import { OperatorError } from '../../config/operator-error';
import { setSilenceAlarmUpdate, type SilenceAlarmSettings } from '../../workflows/alert-messages';
import type { Database } from '../../activities/db/database';
import type { SourceWorkflowHandle } from './lookup';
import { describeCause } from './context';

/**
 * Changes the silence alarm through the source workflow, which starts, reconfigures or stops its watchdog, and
 * then stores the change, so a workflow started later from PostgreSQL behaves the same. Returns the previous settings.
 */
export async function changeSilenceAlarm(
  db: Database,
  source: SourceRecord,
  handle: SourceWorkflowHandle,
  change: Partial<SilenceAlarmSettings>,
): Promise<SilenceAlarmSettings> {
  let previous: SilenceAlarmSettings;
  try {
    previous = await handle.executeUpdate(setSilenceAlarmUpdate, { args: [change] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new OperatorError(`the workflow refused the change: ${describeCause(err.cause ?? err)}`);
    throw err;
  }
  await updateSource(db, source.id, { silenceWindowSeconds: change.windowSeconds, silenceAlertEnabled: change.enabled });
  return previous;
}
