import { silenceWatchdogWorkflowId } from '../../contract/ids';
import { sourceWorkflowId } from '../../contract/ids';

/** The source the saved histories were recorded with: workflow code derives its child's id from its own. */
export const RECORDED_SOURCE = 'replay-recording';

export const recordedWorkflowIds: Record<string, string> = {
  'source-workflow': sourceWorkflowId(RECORDED_SOURCE),
  'silence-watchdog': silenceWatchdogWorkflowId(sourceWorkflowId(RECORDED_SOURCE)),
};
