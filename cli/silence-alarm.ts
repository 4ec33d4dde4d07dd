import { WorkflowUpdateFailedError } from '@temporalio/client';
import { OperatorError } from '../config/operator-error';
import { setSilenceAlarmUpdate, type SilenceAlarmSettings } from '../contract/alert-messages';
import type { SourceWorkflowHandle } from './lookup';
import { describeCause } from './context';
import { shortWindowsAllowed } from './inputs';

/**
 * Changes the silence alarm through the source workflow, the one writer of a running source's settings: it
 * validates the change, stores it, and starts, reconfigures or stops its watchdog. Returns the previous settings.
 */
export async function changeSilenceAlarm(handle: SourceWorkflowHandle, change: Partial<SilenceAlarmSettings>): Promise<SilenceAlarmSettings> {
  try {
    return await handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ ...change, allowShortWindow: shortWindowsAllowed() }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new OperatorError(`the workflow refused the change: ${describeCause(err.cause ?? err)}`);
    throw err;
  }
}
