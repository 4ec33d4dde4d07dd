import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowClient } from '@temporalio/client';
import { alertDispatcherWorkflowId, sourceWorkflowId } from '../contract/ids';
import { alertsChangedSignal, wakeDispatcherSignal } from '../contract/alert-messages';
import { sourceTaskQueueOf } from '../contract/task-queues';

/** The running activity's context, or undefined when the function was called directly (a script, a test). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Asks the alert dispatcher of this activity's task queue to deliver now, starting it if it is not running; a silence
 * watchdog's activity asks its sources' dispatcher. Only a shortcut: the dispatcher's own sweep delivers anyway, so a
 * failure here is logged, never raised.
 */
export async function wakeAlertDispatcher(): Promise<void> {
  const context = activityContext();
  if (!context) return;
  try {
    await wakeDispatcherOf(context.client.workflow, sourceTaskQueueOf(context.info.taskQueue));
  } catch (err) {
    context.log.warn('could not wake the alert dispatcher; its next sweep delivers', { error: (err as Error).message });
  }
}

/** The dispatcher of a task queue delivers now (and tells the sources whose alerts changed), started if need be. */
export async function wakeDispatcherOf(workflows: WorkflowClient, taskQueue: string): Promise<void> {
  await workflows.signalWithStart('alertDispatcherWorkflow', {
    workflowId: alertDispatcherWorkflowId(taskQueue),
    taskQueue,
    signal: wakeDispatcherSignal,
    args: [{}],
    staticSummary: `delivers alert notices for task queue ${taskQueue}`,
  });
}

/** Tells a source's workflow that its alerts changed, so that its AlertOpen search attribute follows. Best effort. */
export async function tellSourceWorkflow(sourceName: string): Promise<void> {
  const context = activityContext();
  if (!context) return;
  try {
    await context.client.workflow.getHandle(sourceWorkflowId(sourceName)).signal(alertsChangedSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) context.log.warn('could not tell the source workflow about its alerts', { error: (err as Error).message });
  }
}
