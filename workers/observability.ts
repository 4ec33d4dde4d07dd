import { Runtime, type NativeConnection, type RuntimeOptions, type Worker } from '@temporalio/worker';
import type { Environment } from '../config/environment';
import { OperatorError } from '../config/operator-error';
import { openDatabase } from '../store/database';
import { PRODUCT_HISTOGRAM_BUCKETS } from '../observability/product-metrics';
import { startHealthServer } from '../observability/health-server';
import { checkReadiness, workerReadinessChecks } from '../observability/readiness';
import { createStateMetrics } from '../observability/state-metrics';

/** Both endpoints listen on every interface: a scraper or an orchestrator reaches the worker from outside its host. */
const LISTEN_HOST = '0.0.0.0';

/**
 * Installs the SDK's runtime with the given options and, with METRICS_PORT, its Prometheus exporter, which serves
 * the SDK's metrics and the product's (recorded through the runtime's meter) at /metrics. Must run before the first
 * connection: the runtime is made once per process.
 */
export function installRuntime(env: Pick<Environment, 'METRICS_PORT'>, options: RuntimeOptions = {}): void {
  const port = env.METRICS_PORT;
  const prometheus = { bindAddress: `${LISTEN_HOST}:${port}`, useSecondsForDurations: true, histogramBucketOverrides: PRODUCT_HISTOGRAM_BUCKETS };
  const metrics = port === undefined ? {} : { metrics: { prometheus } };
  try {
    Runtime.install({ ...options, telemetryOptions: { ...options.telemetryOptions, ...metrics } });
  } catch (err) {
    if (port === undefined) throw err;
    // The exporter binds at install: "Failed to start prometheus metrics exporter: Address already in use (os error 98)".
    throw new OperatorError(`cannot serve metrics on port ${port} (METRICS_PORT): ${(err as Error).message.replace(/^.*exporter: /, '')}`);
  }
}

export interface WorkerHealth {
  /** Readiness checks these as soon as they exist. */
  attach(parts: { connection?: NativeConnection; worker?: Worker }): void;
  close(): Promise<void>;
}

/**
 * With HEALTH_PORT, serves /livez, /readyz and the state metrics from the start, so that a probe gets an answer (not
 * ready yet) while migrations run and the workflows are bundled. Its own small pool keeps probes and scrapes from
 * queueing behind pages for a connection, and pages from queueing behind them.
 */
export async function startWorkerHealth(env: Pick<Environment, 'HEALTH_PORT' | 'DATABASE_URL'>): Promise<WorkerHealth> {
  const port = env.HEALTH_PORT;
  if (port === undefined) return { attach: () => undefined, close: async () => undefined };
  const db = openDatabase(env.DATABASE_URL, { maxConnections: 2 });
  const parts: { connection?: NativeConnection; worker?: Worker } = {};
  const server = await startHealthServer({
    port,
    host: LISTEN_HOST,
    readiness: () => checkReadiness(workerReadinessChecks({ db, ...parts })),
    stateMetrics: createStateMetrics(db),
  }).catch(async (err: Error) => {
    await db.close();
    throw new OperatorError(`cannot serve health checks on port ${port} (HEALTH_PORT): ${err.message}`);
  });
  return {
    attach: (more) => Object.assign(parts, more),
    async close() {
      await server.close();
      await db.close();
    },
  };
}
