import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { ActivityDependencies, createActivities } from '../activities';
import { watchdogTaskQueue } from '../contract/task-queues';
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
  /** The sticky cache of the watchdogs' poller (WATCHDOG_CACHE_SIZE); DEFAULT_CACHED_WATCHDOGS when unset. */
  cachedWatchdogs?: number;
}

/** A watchdog wakes rarely, so a few cover the ones at work; the others replay their short run when they wake. */
export const DEFAULT_CACHED_WATCHDOGS = 10;

/** The two pollers of a worker process: they run and stop together. */
export interface Workers {
  /** The task queue's workflows and activities. */
  main: Worker;
  /** The silence watchdogs of the task queue's sources, and their activities (contract/task-queues.ts). */
  watchdogs: Worker;
}

/**
 * One worker process runs both the workflows and the activities of the task queue, and the silence watchdogs of its
 * sources on their own queue; scale out by running more of them.
 */
export async function createWorkers(settings: WorkerSettings, deps: ActivityDependencies): Promise<Workers> {
  const options = await workerOptions(settings, deps);
  const main = await Worker.create({ ...options, taskQueue: settings.taskQueue, maxCachedWorkflows: settings.cachedWorkflows });
  const watchdogs = await Worker.create({ ...options, taskQueue: watchdogTaskQueue(settings.taskQueue), maxCachedWorkflows: settings.cachedWatchdogs ?? DEFAULT_CACHED_WATCHDOGS });
  return { main, watchdogs };
}

/** Runs both until the SDK shuts them down (SIGINT, SIGTERM); the first to fail stops the other. */
export async function runWorkers({ main, watchdogs }: Workers): Promise<void> {
  const stopBoth = (err: unknown) => {
    for (const worker of [main, watchdogs]) if (worker.getState() === 'RUNNING') worker.shutdown();
    throw err;
  };
  await Promise.all([main.run().catch(stopBoth), watchdogs.run().catch(stopBoth)]);
}

/** What both pollers share: one bundle, and one set of activities, whose state (the pacing of an organization) is the process's. */
async function workerOptions(settings: WorkerSettings, deps: ActivityDependencies): Promise<Omit<WorkerOptions, 'taskQueue'>> {
  return {
    connection: settings.connection,
    namespace: settings.namespace,
    // Without a prebuilt bundle, the process bundles once at start for both.
    workflowBundle: settings.workflowBundlePath
      ? { codePath: settings.workflowBundlePath }
      : await bundleWorkflowCode({ ...workflowBundleOptions(), logger: Runtime.instance().logger }),
    activities: createActivities(deps),
    interceptors: { activity: [expectedRetryLogging] },
    // On SIGTERM a page in flight gets this long to finish, and the pages after it are handed back (workerStopping);
    // past it the page is cancelled (another worker runs it again from the checkpoint), and past the force time the
    // worker gives up waiting and exits.
    // A supervisor's stop (10 s grace in the local stack, compose's default) therefore never needs a SIGKILL.
    shutdownGraceTime: '5 seconds',
    // Half the SDK's default: the tasks of a worker that died go to the shared queue after this long, not 10 s.
    stickyQueueScheduleToStartTimeout: '5 seconds',
    shutdownForceTime: '8 seconds',
  };
}
