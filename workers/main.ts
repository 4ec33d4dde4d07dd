import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadEnvironment } from '../config/environment';
import { temporalConnection } from '../config/temporal-connection';
import { createCredentialCipher, parseCredentialKeys } from '../store/credentials';
import { describeDatabaseUrl, openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { OperatorError, runMain } from '../config/operator-error';
import { createDetectionHook } from '../detections/engine';
import { detectionPacks } from '../detections/registry';
import { publishGlobalDestinations, sealClearDestinations, sealSigningSecret } from '../alerts/destinations';
import { ensureAlertDispatcher } from './alert-dispatcher';
import { ensureStoreMaintenanceSchedule } from './store-maintenance-schedule';
import { createWorkers, runWorkers } from './create-worker';
import { installRuntime, startWorkerHealth } from './observability';
import { ProductMetrics } from '../observability/product-metrics';
import { createLogger, runtimeLogging } from './logger';
import { upgradeStoreInBackground } from './background-upgrade';

runMain(async () => {
  const env = loadEnvironment();
  const logger = createLogger(env);
  // A team's rules folder with a problem stops the worker here, in one line, before it takes any task.
  const packs = detectionPacks();
  installRuntime(env, runtimeLogging(logger));
  const health = await startWorkerHealth(env);
  const temporal = temporalConnection();
  const cipher = createCredentialCipher(parseCredentialKeys(env));
  const db = openDatabase(env.DATABASE_URL, { onIdleClientError: (err) => logger.warn(`postgres: idle client error: ${err.message}`) });
  try {
    await migrate(db);
    const webhookSecret = env.ALERT_WEBHOOK_URL && env.ALERT_WEBHOOK_SECRET ? sealSigningSecret(cipher, env.ALERT_WEBHOOK_URL, env.ALERT_WEBHOOK_SECRET) : undefined;
    await publishGlobalDestinations(db, cipher, { webhook: env.ALERT_WEBHOOK_URL, slack: env.ALERT_SLACK_WEBHOOK_URL }, webhookSecret);
    // Webhook URLs stored in clear before they were sealed (migration 009 cannot encrypt): sealed by the first worker.
    const sealed = await sealClearDestinations(db, cipher);
    if (sealed > 0) logger.info(`sealed ${sealed} webhook URL(s) stored in clear by an earlier release`);
  } catch (err) {
    throw new OperatorError(`cannot prepare PostgreSQL at ${describeDatabaseUrl(env.DATABASE_URL)}: ${(err as Error).message}`);
  }
  const connection = await NativeConnection.connect(temporal.options).catch(async (err: unknown) => {
    throw new OperatorError(await temporal.describeFailure(err));
  });
  // An API key the server takes may still not open the namespace: its first namespaced call tells, in one line.
  // Other failures are left to createWorkers, which reports them as before.
  await connection.workflowService.describeNamespace({ namespace: env.TEMPORAL_NAMESPACE }).catch((err: unknown) => {
    const refusal = temporal.describeRefusal(err);
    if (refusal) throw new OperatorError(refusal);
  });
  health.attach({ connection });
  // The SDK shuts the worker down on the runtime's shutdown signals; the pages not yet begun then hand themselves back.
  const stopping = new AbortController();
  for (const signal of Runtime.instance().options.shutdownSignals) process.once(signal, () => stopping.abort());
  // The events of the previous release move into the partitioned table while this worker ingests.
  upgradeStoreInBackground(db, logger, stopping.signal);
  const workers = await createWorkers({ connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.TEMPORAL_TASK_QUEUE, workflowBundlePath: env.TEMPORAL_WORKFLOW_BUNDLE, cachedWorkflows: env.WORKFLOW_CACHE_SIZE, cachedWatchdogs: env.WATCHDOG_CACHE_SIZE }, { db, cipher, workerStopping: stopping.signal, maxResponseBytes: env.ATLASSIAN_MAX_RESPONSE_BYTES, onEventsInserted: createDetectionHook({ packs }), webUiLinks: env.TEMPORAL_UI_URL ? { webUiUrl: env.TEMPORAL_UI_URL, namespace: env.TEMPORAL_NAMESPACE } : undefined, metrics: new ProductMetrics(Runtime.instance().metricMeter) });
  health.attach({ worker: workers.main });
  // Not fatal: the first alert opened starts the dispatcher too; only the periodic sweep waits for it.
  await ensureAlertDispatcher(connection, env.TEMPORAL_NAMESPACE, env.TEMPORAL_TASK_QUEUE).catch((err: Error) =>
    logger.warn(`could not start the alert dispatcher (${err.message.split('\n')[0]}); the first alert will start it`),
  );
  // Not fatal either: any worker that starts later creates it, and until then only pruning waits.
  await ensureStoreMaintenanceSchedule(connection, env.TEMPORAL_NAMESPACE, env.TEMPORAL_TASK_QUEUE).catch((err: Error) =>
    logger.warn(`could not create the store maintenance schedule (${err.message.split('\n')[0]}); the next worker start will`),
  );
  // The cache size bounds the worker's memory (docs/sizing.md): said at start, since its default follows the heap.
  const { main, watchdogs } = workers;
  logger.info(
    { cachedWorkflows: main.options.maxCachedWorkflows, watchdogTaskQueue: watchdogs.options.taskQueue, cachedWatchdogs: watchdogs.options.maxCachedWorkflows },
    `worker polling task queue ${env.TEMPORAL_TASK_QUEUE} on ${env.TEMPORAL_ADDRESS}`,
  );
  // The SDK shuts the workers down gracefully on SIGINT/SIGTERM; they return once in-flight tasks are done.
  await runWorkers(workers);
  await health.close();
  await connection.close();
  await db.close();
});
