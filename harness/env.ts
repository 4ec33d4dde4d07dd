import path from 'node:path';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV } from '../config/api-base-urls';

/**
 * What the global setup started, as environment variables: jest runs test files in fresh module registries (and may
 * run them in other processes), so the environment is the one channel every test file shares.
 */
export const env = {
  runDir: 'TEST_RUN_DIR',
  temporalCli: 'TEST_TEMPORAL_CLI',
  temporalDbFile: 'TEST_TEMPORAL_DB_FILE',
  temporalPort: 'TEST_TEMPORAL_PORT',
  workflowBundle: 'TEST_WORKFLOW_BUNDLE',
} as const;

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest, whose global setup starts the stack`);
  return value;
}

/** The process group of the S3 server that a test started (harness/s3.ts); the global teardown stops it. */
export const s3PidFile = (runDir: string) => path.join(runDir, 's3.pid');

/** The network every test sees, with or without a server: the simulator and the receivers, on 127.0.0.1 only. */
export const loopbackOnlyNetwork = {
  // Simulators and webhook receivers answer on http://127.0.0.1; each simulator allow-lists itself (harness/simulator.ts).
  [ALLOW_INSECURE_LOOPBACK_HTTP_ENV]: 'true',
  // The simulator and the webhook receivers listen on 127.0.0.1, allowed as an operator would allow a relay; the
  // rest of loopback stays refused, so that tests of the outbound guard can aim at 127.0.0.2.
  OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128',
};
