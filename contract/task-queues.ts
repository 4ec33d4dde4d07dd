// Task queues: a contract with running sources, since a source workflow starts its watchdog on the queue named here.

const WATCHDOG_QUEUE_SUFFIX = '-watchdogs';

/**
 * Where the silence watchdogs of the sources on `taskQueue` run. A watchdog wakes rarely, so each worker polls this
 * queue with a small cache of its own (WATCHDOG_CACHE_SIZE): a watchdog that wakes replays its short run, instead of
 * every watchdog holding a worker's memory between its wakes.
 */
export function watchdogTaskQueue(taskQueue: string): string {
  return `${taskQueue}${WATCHDOG_QUEUE_SUFFIX}`;
}

/** A queue named by watchdogTaskQueue; TEMPORAL_TASK_QUEUE may not be one, so that the name reads back. */
export function isWatchdogTaskQueue(taskQueue: string): boolean {
  return taskQueue.endsWith(WATCHDOG_QUEUE_SUFFIX);
}

/** The queue of the sources that a watchdogs' queue serves, where their alert dispatcher runs; any other queue is its own. */
export function sourceTaskQueueOf(taskQueue: string): string {
  return isWatchdogTaskQueue(taskQueue) ? taskQueue.slice(0, -WATCHDOG_QUEUE_SUFFIX.length) : taskQueue;
}
