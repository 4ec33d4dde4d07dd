import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Database } from '../store/database';

/** A check that has not answered by then has failed: a probe must answer before the orchestrator's own timeout. */
const CHECK_TIMEOUT_MS = 3_000;

/** Resolves when the dependency is usable, rejects with a one-line reason when not. */
export type ReadinessCheck = () => Promise<void>;

export interface Readiness {
  ready: boolean;
  /** "ok", or why not, per check. */
  checks: Record<string, string>;
}

/**
 * A worker is ready when it can do its work: Temporal answers its health check, PostgreSQL answers a query, and the
 * worker is polling its task queue. Until the worker exists (migrations, bundling), it is not ready.
 */
export function workerReadinessChecks(parts: { db: Pick<Database, 'query'>; connection?: NativeConnection; worker?: Worker }): Record<string, ReadinessCheck> {
  const { db, connection, worker } = parts;
  return {
    temporal: async () => {
      if (!connection) throw new Error('not connected yet');
      const { status } = await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => connection.healthService.check({}));
      // 1 is SERVING in grpc.health.v1.
      if (status !== 1) throw new Error(`health check answered status ${status}`);
    },
    postgres: async () => {
      await db.query('SELECT 1');
    },
    worker: async () => {
      const state = worker?.getState() ?? 'not started';
      if (state !== 'RUNNING') throw new Error(`worker is ${state}`);
    },
  };
}

export async function checkReadiness(checks: Record<string, ReadinessCheck>): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await withTimeout(check()).then(() => 'ok', describe)] as const),
  );
  return { ready: results.every(([, result]) => result === 'ok'), checks: Object.fromEntries(results) };
}

function withTimeout(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] || 'failed';
}
