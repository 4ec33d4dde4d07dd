import path from 'node:path';

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
