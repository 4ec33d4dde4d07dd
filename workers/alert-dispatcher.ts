import { Client, type ConnectionLike } from '@temporalio/client';
import { alertDispatcherWorkflowId } from '../contract/ids';
import { alertDispatcherWorkflow } from '../workflows/alert-dispatcher';

/**
 * Starts the task queue's alert dispatcher unless it runs already. Alert openers wake (and if need be start) it
 * themselves; starting it with the worker makes its periodic sweep and key expiry check run even when nothing wakes it.
 */
export async function ensureAlertDispatcher(connection: ConnectionLike, namespace: string, taskQueue: string): Promise<void> {
  const client = new Client({ connection, namespace });
  await client.workflow.start(alertDispatcherWorkflow, {
    workflowId: alertDispatcherWorkflowId(taskQueue),
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `delivers alert notices for task queue ${taskQueue}`,
  });
}
