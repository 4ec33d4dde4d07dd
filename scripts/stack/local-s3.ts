import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OperatorError } from '../../config/operator-error';
import { randomAdminIdentity, startS3Server, type S3Identity, type S3Server } from './s3-server';

/** The setting that asks `make up` for the local S3 server; the demo starts it unless this says false. */
export const LOCAL_S3_SETTING = 'LOCAL_S3';

/** Whether to start it: the setting when given, else the caller's default. */
export function wantsLocalS3(byDefault: boolean): boolean {
  const raw = process.env[LOCAL_S3_SETTING];
  if (raw === undefined || raw === '') return byDefault;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new OperatorError(`${LOCAL_S3_SETTING}=${raw} must be true or false`);
}

export interface LocalS3 {
  server: S3Server;
  /** A shell file with the keys as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for curl or the AWS CLI. */
  keysFile: string;
  dataDir: string;
}

/**
 * SeaweedFS for the local stack, its objects kept in the data folder between runs. Its keys are made once and kept
 * beside them (mode 600), so that an output added in an earlier run still writes; they are never printed.
 */
export async function startLocalS3(weedPath: string, dataDir: string, logFile: string, port: number, log: (line: string) => void): Promise<LocalS3> {
  mkdirSync(dataDir, { recursive: true });
  const admin = localAdmin(path.join(dataDir, 'admin.json'));
  const keysFile = path.join(dataDir, 'keys.env');
  writeFileSync(keysFile, `export AWS_ACCESS_KEY_ID=${admin.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${admin.secretAccessKey}\n`, { mode: 0o600 });
  chmodSync(keysFile, 0o600);
  const server = await startS3Server({ weedPath, dataDir: path.join(dataDir, 'data'), logFile, port, identities: [admin], supervise: log });
  return { server, keysFile, dataDir };
}

function localAdmin(file: string): S3Identity {
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(randomAdminIdentity()), { mode: 0o600 });
  chmodSync(file, 0o600);
  return JSON.parse(readFileSync(file, 'utf8')) as S3Identity;
}

/** How to list a bucket of the local server with nothing but curl (7.75 or later signs S3 requests). */
export function listBucketCommand(local: LocalS3, bucket: string): string {
  return (
    `(. ${local.keysFile}; curl -s --aws-sigv4 "aws:amz:${local.server.region}:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" ` +
    `"${local.server.endpoint}/${bucket}?list-type=2")`
  );
}
