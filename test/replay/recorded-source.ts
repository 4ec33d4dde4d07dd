import { alertDispatcherWorkflowId, outputWorkflowId, silenceWatchdogWorkflowId, sourceWorkflowId } from '../../contract/ids';

/** The source the saved histories were recorded with: workflow code derives its child's id from its own. */
export const RECORDED_SOURCE = 'replay-recording';
/** The recording's task queue, which names its alert dispatcher. */
export const RECORDED_TASK_QUEUE = 'replay-recording';
/** The output that forwards the recorded source's events. */
export const RECORDED_OUTPUT = 'replay-recording';

/** Workflow id of each recorded workflow, by the prefix of its history files. */
export const recordedWorkflowIds: Record<string, string> = {
  'source-workflow': sourceWorkflowId(RECORDED_SOURCE),
  'silence-watchdog': silenceWatchdogWorkflowId(sourceWorkflowId(RECORDED_SOURCE)),
  'alert-dispatcher': alertDispatcherWorkflowId(RECORDED_TASK_QUEUE),
  'output-workflow': outputWorkflowId(RECORDED_OUTPUT),
  // Its Schedule names each run after the time it starts; the recording starts one run by hand under this id.
  'store-maintenance': `store-maintenance-${RECORDED_TASK_QUEUE}`,
};
