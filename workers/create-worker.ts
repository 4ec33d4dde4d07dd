import { NativeConnection, Worker } from '@temporalio/worker';
import { ActivityDependencies, createActivities } from '../activities';

export interface WorkerSettings {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A bundle made ahead of time (bundleWorkflowCode); without it the worker bundles workflows/ at start. */
  workflowBundlePath?: string;
}

/** One worker runs both the workflows and the activities of the task queue; scale out by running more of them. */
export async function createWorker(settings: WorkerSettings, deps: ActivityDependencies): Promise<Worker> {
  return Worker.create({
    connection: settings.connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    ...(settings.workflowBundlePath ? { workflowBundle: { codePath: settings.workflowBundlePath } } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(deps),
  });
}
