import { NativeConnection, Worker } from '@temporalio/worker';
import { ActivityDependencies, createActivities } from '../activities';

export interface WorkerSettings {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
}

/** One worker runs both the workflows and the activities of the task queue; scale out by running more of them. */
export async function createWorker(settings: WorkerSettings, deps: ActivityDependencies): Promise<Worker> {
  return Worker.create({
    connection: settings.connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities(deps),
  });
}
