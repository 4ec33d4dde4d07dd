import type { LocalS3 } from './local-s3';

/** The bucket the demo forwards its events to. */
export const DEMO_BUCKET = 'audit-events';

/** The demo's S3 output: what `outputs add` is given, its keys named by reference in `env` as any output's are. */
export interface DemoOutput {
  name: string;
  kind: 's3';
  format: 'raw';
  settings: { bucket: string; prefix: string; region: string; endpoint: string; forcePathStyle: boolean };
  /** The references the settings' keys are read from, and their values, for the CLI's environment only. */
  env: { AUDIT_SECRET_DEMO_S3_ACCESS_KEY_ID: string; AUDIT_SECRET_DEMO_S3_SECRET_ACCESS_KEY: string };
}

/** The demo's output into the local S3 server's bucket, raw events under `demo/`. */
export function demoOutput(local: LocalS3): DemoOutput {
  return {
    name: 'demo-lake',
    kind: 's3',
    format: 'raw',
    settings: { bucket: DEMO_BUCKET, prefix: 'demo', region: local.server.region, endpoint: local.server.endpoint, forcePathStyle: true },
    env: { AUDIT_SECRET_DEMO_S3_ACCESS_KEY_ID: local.server.admin.accessKeyId, AUDIT_SECRET_DEMO_S3_SECRET_ACCESS_KEY: local.server.admin.secretAccessKey },
  };
}
