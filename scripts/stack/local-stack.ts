import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { OperatorError } from '../../config/operator-error';
import { resolveTemporalTarget, temporalConnection } from '../../config/temporal-connection';
import { startDevServer } from './dev-server';
import { type LocalS3, startLocalS3 } from './local-s3';
import { assertDatabaseReachable } from './postgres';
import { assertPortFree } from './processes';
import { resolveSeaweedfs } from './seaweedfs-binary';
import { ensureSearchAttributes } from './search-attributes';
import { startStackDatabase } from './stack-database';
import { StartedParts } from './started-parts';
import { DATA_DIR, portFromEnv } from './stack-settings';
import { startSupervisedWorker } from './supervised-worker';
import { resolveTemporalCli } from './temporal-cli';

const LOG_DIR = path.join(DATA_DIR, 'logs');

export interface LocalStack {
  env: Record<string, string>;
  uiUrl?: string;
  /** The local S3 server, when asked for. */
  s3?: LocalS3;
  /** Stops what this stack started, newest first. */
  stop(): Promise<void>;
}

/**
 * Temporal (the dev server unless TEMPORAL_ADDRESS names one), PostgreSQL (embedded unless DATABASE_URL is set), the
 * local S3 server when asked for, and one worker process. Returns the environment that operator scripts need to reach
 * them.
 */
export async function startLocalStack(log: (line: string) => void, extraEnv: Record<string, string> = {}, options: { localS3?: boolean } = {}): Promise<LocalStack> {
  mkdirSync(LOG_DIR, { recursive: true });
  const started = new StartedParts(log);
  try {
    const env: Record<string, string> = { ...extraEnv };
    let uiUrl: string | undefined;
    const namespace = resolveTemporalTarget().namespace;
    // Everything that can fail without side effects comes first, so a bad environment fails before anything starts.
    const devServer = process.env.TEMPORAL_ADDRESS
      ? undefined
      : { cliPath: await resolveTemporalCli(log), port: portFromEnv('TEMPORAL_PORT', 7233), uiPort: portFromEnv('TEMPORAL_UI_PORT', 8233) };
    // A server of one's own is reached with the TLS settings and API key the worker will use; their files are read now.
    const temporal = devServer ? undefined : temporalConnection();
    if (devServer) {
      await assertPortFree(devServer.port, 'Temporal frontend', 'TEMPORAL_PORT');
      await assertPortFree(devServer.uiPort, 'Temporal Web UI', 'TEMPORAL_UI_PORT');
    }
    const s3 = options.localS3 ? { weedPath: await resolveSeaweedfs(log), port: portFromEnv('S3_PORT', 8333) } : undefined;
    if (s3) await assertPortFree(s3.port, 'S3 server', 'S3_PORT');
    if (process.env.DATABASE_URL) await assertDatabaseReachable(process.env.DATABASE_URL);

    const database = await startStackDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: DATA_DIR, logDir: LOG_DIR, log });
    if (database.embedded) started.add('PostgreSQL', database.embedded.stop);
    env.DATABASE_URL = database.url;

    if (!devServer) {
      env.TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS!;
      await temporal!.checkTls();
      const connection = await Connection.connect({ ...temporal!.options, connectTimeout: 5000 }).catch(async (err: unknown) => {
        throw new OperatorError(await temporal!.describeFailure(err));
      });
      await ensureSearchAttributes(connection, namespace);
      await connection.close();
      log(`Temporal: ${env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS)`);
    } else {
      const server = await startDevServer({
        ...devServer,
        dbFile: path.join(DATA_DIR, 'temporal.db'),
        logFile: path.join(LOG_DIR, 'temporal.log'),
        namespace,
        supervise: log,
      });
      started.add('Temporal dev server', server.stop);
      env.TEMPORAL_ADDRESS = server.address;
      uiUrl = server.uiUrl;
      // Slack notices link to the source's workflow there.
      if (uiUrl) env.TEMPORAL_UI_URL = uiUrl;
      log(`Temporal: dev server at ${server.address}, state in ${path.join(DATA_DIR, 'temporal.db')}`);
    }
    env.TEMPORAL_NAMESPACE = namespace;

    let localS3: LocalS3 | undefined;
    if (s3) {
      localS3 = await startLocalS3(s3.weedPath, path.join(DATA_DIR, 's3'), path.join(LOG_DIR, 's3.log'), s3.port, log);
      started.add('S3 server', localS3.server.stop);
      log(`S3: SeaweedFS at ${localS3.server.endpoint} (region ${localS3.server.region}, path-style), objects in ${localS3.dataDir}, keys in ${localS3.keysFile}`);
    }

    const worker = await startSupervisedWorker(env, path.join(LOG_DIR, 'worker.log'), log);
    started.add('worker', () => worker.stop());
    return { env, uiUrl, s3: localS3, stop: started.stop };
  } catch (err) {
    await started.stop();
    throw err;
  }
}
