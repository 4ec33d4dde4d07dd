import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV } from '../../config/api-base-urls';
import { OperatorError, runMain } from '../../config/operator-error';
import { startSimulator } from '../../simulator/server';
import { sourceWorkflowId } from '../../contract/ids';
import { startLocalStack } from './local-stack';
import { DATA_DIR, portFromEnv, PROJECT_ROOT } from './stack-settings';
import { untilInterrupted } from './until-interrupted';
import { assertPortFree } from './processes';
import { listBucketCommand, wantsLocalS3 } from './local-s3';
import { DEMO_BUCKET, demoOutput } from './demo-output';

const log = (line: string) => process.stdout.write(`${line}\n`);
const DEMO_SOURCE = 'demo';
// A fixed seed keeps the simulated organization (its id and keys) the same across runs, so the demo source that
// .data/ keeps between runs still matches it.
const SIMULATOR_SEED = 2024;

/**
 * `make demo`: the whole stack plus the Atlassian API simulator and one demo source polling it every 10 s, with a
 * steady trickle of new audit events, until Ctrl-C.
 */
runMain(async () => {
  const simulatorPort = portFromEnv('SIMULATOR_PORT', 8765);
  await assertPortFree(simulatorPort, 'Atlassian API simulator', 'SIMULATOR_PORT');
  const simulator = await startSimulator({
    port: simulatorPort,
    seed: SIMULATOR_SEED,
    orgs: [{ name: 'Acme Corporation' }],
    history: { count: 5_000, spanMs: 6 * 24 * 3600_000 },
    liveEventsPerSecond: 0.5,
  });
  log(`Atlassian API simulator: ${simulator.url}`);
  const credentialsKey = demoCredentialsKey();
  // The demo's worker log is for reading: one readable line per event unless LOG_FORMAT asks for JSON.
  // The simulator is the API here, on loopback http: the worker and the CLI send the demo key there and nowhere else,
  // and may reach loopback, which production never allows by default.
  const simulatorApi = { ATLASSIAN_API_BASE_URL: simulator.url, [ALLOW_INSECURE_LOOPBACK_HTTP_ENV]: 'true', OUTBOUND_ALLOWED_NETWORKS: '127.0.0.0/8' };
  const stack = await startLocalStack(log, { CREDENTIALS_KEY: credentialsKey, LOG_FORMAT: process.env.LOG_FORMAT || 'pretty', ...simulatorApi }, { localS3: wantsLocalS3(true) }).catch(async (err: unknown) => {
    await simulator.close();
    throw err;
  });
  try {
    const org = simulator.orgs[0];
    // Asynchronous on purpose: the simulator lives in this process and must keep answering while the CLI runs.
    const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
      new Promise<{ ok: boolean; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [path.join(PROJECT_ROOT, 'bin', 'atlassian-audit'), ...args],
          { cwd: PROJECT_ROOT, env: { ...process.env, ...stack.env, AUDIT_SECRET_DEMO_API_KEY: org.keys.valid, ...extraEnv } },
          (err, stdout, stderr) => resolve({ ok: !err, stdout, stderr: stderr.trim() }),
        );
      });
    // Not `status`: it exits non-zero for a source that exists but is paused, failed or not yet answering.
    const listed = await cli(['list', '-o', 'json']);
    if (!listed.ok) throw new OperatorError(`listing the sources failed: ${listed.stderr}`);
    if (!(JSON.parse(listed.stdout) as Array<{ name: string }>).some((source) => source.name === DEMO_SOURCE)) {
      const added = await cli(['add', DEMO_SOURCE, '--org-id', org.id, '--api-key-env', 'AUDIT_SECRET_DEMO_API_KEY', '--interval', '10', '--detection-packs', 'atlassian-core']);
      if (!added.ok) throw new OperatorError(`adding the demo source failed: ${added.stderr}`);
      log(`added source "${DEMO_SOURCE}" for ${org.name} (${org.id}), polling every 10 s`);
    } else {
      log(`source "${DEMO_SOURCE}" kept from an earlier run (make reset starts over)`);
    }
    if (stack.s3) {
      await stack.s3.server.createBucket(DEMO_BUCKET);
      const output = demoOutput(stack.s3);
      const outputs = await cli(['outputs', 'list', '-o', 'json']);
      if (!outputs.ok) throw new OperatorError(`listing the outputs failed: ${outputs.stderr}`);
      if (!(JSON.parse(outputs.stdout) as Array<{ name: string }>).some((o) => o.name === output.name)) {
        const { bucket, prefix, region, endpoint } = output.settings;
        const keys = ['--access-key-id-env', 'AUDIT_SECRET_DEMO_S3_ACCESS_KEY_ID', '--secret-access-key-env', 'AUDIT_SECRET_DEMO_S3_SECRET_ACCESS_KEY'];
        const args = ['outputs', 'add', output.name, '--kind', 's3', '--format', output.format, '--bucket', bucket, '--prefix', prefix, '--region', region, '--endpoint', endpoint, '--path-style', ...keys];
        const added = await cli(args, output.env);
        if (!added.ok) throw new OperatorError(`adding the demo output failed: ${added.stderr}`);
        log(`added output "${output.name}": the demo's events to s3://${bucket}/${prefix}/`);
      }
      log(`list the bucket: ${listBucketCommand(stack.s3, DEMO_BUCKET)}`);
    }
    const query = encodeURIComponent(`AuditSourceName="${DEMO_SOURCE}"`);
    if (stack.uiUrl) {
      log(`Temporal Web UI: ${stack.uiUrl}`);
      log(`  the demo source's workflow: ${stack.uiUrl}/namespaces/default/workflows/${sourceWorkflowId(DEMO_SOURCE)}`);
      log(`  filtered by search attribute: ${stack.uiUrl}/namespaces/default/workflows?query=${query}`);
    }
    log(`events in PostgreSQL: psql "${stack.env.DATABASE_URL}" -c "SELECT event_time, action, actor_name, ip FROM events ORDER BY event_time DESC LIMIT 10"`);
    log(`operator commands: DATABASE_URL=${stack.env.DATABASE_URL} TEMPORAL_ADDRESS=${stack.env.TEMPORAL_ADDRESS} npx atlassian-audit status ${DEMO_SOURCE}`);
    log('running; press Ctrl-C to stop');
    await untilInterrupted();
  } finally {
    await stack.stop();
    await simulator.close();
    log('stopped');
  }
});

/** The demo's own credentials key, created once: the demo must run with no setup, production sets CREDENTIALS_KEY. */
function demoCredentialsKey(): string {
  const file = path.join(DATA_DIR, 'credentials.key');
  if (!existsSync(file)) {
    mkdirSync(DATA_DIR, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}
