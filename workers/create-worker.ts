import { NativeConnection, Worker } from '@temporalio/worker';
import { ActivityDependencies, createActivities } from '../activities';
import { expectedRetryLogging } from './expected-retries';
import { workflowBundleOptions } from './workflow-bundle-options';

export interface WorkerSettings {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A bundle made ahead of time (bundleWorkflowCode); without it the worker bundles workflows/ at start. */
  workflowBundlePath?: string;
  /** The sticky cache's size (WORKFLOW_CACHE_SIZE); the SDK's default, from the heap limit, when unset. */
  cachedWorkflows?: number;
}

/** One worker runs both the workflows and the activities of the task queue; scale out by running more of them. */
export async function createWorker(settings: WorkerSettings, deps: ActivityDependencies): Promise<Worker> {
  const { workflowsPath, preloadModules } = workflowBundleOptions();
  return Worker.create({
    connection: settings.connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    // bundlerOptions apply only when the worker bundles at start: a prebuilt bundle was made with them already.
    ...(settings.workflowBundlePath
      ? { workflowBundle: { codePath: settings.workflowBundlePath } }
      : { workflowsPath, bundlerOptions: { preloadModules } }),
    activities: createActivities(deps),
    interceptors: { activity: [expectedRetryLogging] },
    maxCachedWorkflows: settings.cachedWorkflows,
    // On SIGTERM a page in flight gets this long to finish, and the pages after it are handed back (workerStopping);
    // past it the page is cancelled (another worker runs it again from the checkpoint), and past the force time the
    // worker gives up waiting and exits.
    // A supervisor's stop (10 s grace in the local stack, compose's default) therefore never needs a SIGKILL.
    shutdownGraceTime: '5 seconds',
    // Half the SDK's default: the tasks of a worker that died go to the shared queue after this long, not 10 s.
    stickyQueueScheduleToStartTimeout: '5 seconds',
    shutdownForceTime: '8 seconds',
  });
}
