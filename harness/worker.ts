import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { watchdogTaskQueue } from '../contract/task-queues';
import { env, requiredEnv } from './env';

export interface WorkerContext {
  client: Client;
  taskQueue: string;
  worker: Worker;
}

/** A Temporal client on the run's dev server; close it with `client.connection.close()`. */
export async function connectClient(): Promise<Client> {
  const connection = await Connection.connect({ address: requiredEnv('TEMPORAL_ADDRESS') });
  return new Client({ connection, namespace: requiredEnv('TEMPORAL_NAMESPACE') });
}

/**
 * Runs `body` while a worker with the real workflow bundle and the given activities polls a task queue of its own,
 * so that tests never pick up each other's tasks, and a second one, alike, polls its watchdogs' queue, as a worker
 * process does (workers/create-worker.ts). `worker` is the first.
 */
export async function withWorker<T>(
  activities: object,
  body: (context: WorkerContext) => Promise<T>,
  options: Partial<WorkerOptions> & { taskQueue?: string } = {},
): Promise<T> {
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: requiredEnv('TEMPORAL_ADDRESS') });
  const client = await connectClient();
  try {
    const create = (queue: string) =>
      Worker.create({
        connection,
        namespace: requiredEnv('TEMPORAL_NAMESPACE'),
        workflowBundle: { codePath: requiredEnv(env.workflowBundle) },
        activities,
        ...options,
        taskQueue: queue,
      });
    const worker = await create(taskQueue);
    const watchdogs = await create(watchdogTaskQueue(taskQueue));
    return await watchdogs.runUntil(worker.runUntil(body({ client, taskQueue, worker })));
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

/** Replays a workflow's own history with the run's workflow bundle; rejects on a nondeterminism error. */
export async function replayWithTestBundle(history: temporal.api.history.v1.IHistory, workflowId: string): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: { codePath: requiredEnv(env.workflowBundle) } }, history, workflowId);
}
