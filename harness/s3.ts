import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomAdminIdentity, startS3Server, type S3Identity, type S3Server } from '../scripts/stack/s3-server';
import { resolveSeaweedfs } from '../scripts/stack/seaweedfs-binary';
import { waitUntil } from '../scripts/stack/processes';
import { env, requiredEnv, s3PidFile } from './env';

/** Starting takes seconds, but the first run on a machine builds SeaweedFS with Go first (about 5 minutes). */
export const S3_START_TIMEOUT_MS = 15 * 60_000;

/** What tests know of the run's S3 server. */
export interface TestS3 {
  endpoint: string;
  region: string;
  admin: S3Identity;
  /** May list and read, not write: writing with it is AccessDenied. */
  readOnly: S3Identity;
}

/** The file that names the run's S3 server once it answers; every jest worker reads it. */
const serverFile = (runDir: string) => path.join(runDir, 's3', 'server.json');

/**
 * The run's one S3 server, started by the first test that asks for it (most runs need none) and stopped by the
 * global teardown. jest may run test files in several processes: the first to create the folder starts the server,
 * the others wait for its file.
 */
export async function testS3(): Promise<TestS3> {
  const runDir = requiredEnv(env.runDir);
  const file = serverFile(runDir);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as TestS3;
  let starter = true;
  try {
    mkdirSync(path.join(runDir, 's3'));
  } catch {
    starter = false;
  }
  if (!starter) {
    await waitUntil(async () => existsSync(file), { timeoutMs: S3_START_TIMEOUT_MS, intervalMs: 500, failure: () => `the run's S3 server did not start (see ${runDir}/s3.log)` });
    return JSON.parse(readFileSync(file, 'utf8')) as TestS3;
  }
  const readOnly: S3Identity = { ...randomAdminIdentity('reader'), actions: ['Read', 'List'] };
  const server = await startPrivateS3({ dataDir: path.join(runDir, 's3', 'data'), logFile: path.join(runDir, 's3.log'), identities: [randomAdminIdentity(), readOnly] });
  writeFileSync(s3PidFile(runDir), String(server.process.pid));
  const shared: TestS3 = { endpoint: server.endpoint, region: server.region, admin: server.admin, readOnly };
  writeFileSync(`${file}.partial`, JSON.stringify(shared));
  // Renamed into place whole: a waiting process never reads half a file.
  renameSync(`${file}.partial`, file);
  return shared;
}

/** A server of the test's own, for tests that stop it; the test stops it too. */
export async function startPrivateS3(options: { dataDir: string; logFile: string; identities?: S3Identity[]; ports?: S3Server['ports'] }): Promise<S3Server> {
  return startS3Server({
    weedPath: await resolveSeaweedfs((line) => process.stderr.write(`${line}\n`)),
    dataDir: options.dataDir,
    logFile: options.logFile,
    identities: options.identities ?? [randomAdminIdentity()],
    ports: options.ports,
  });
}

/** A client that the test itself uses to look into buckets, as an operator would. */
export function s3Client(s3: Pick<TestS3, 'endpoint' | 'region' | 'admin'>): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.admin.accessKeyId, secretAccessKey: s3.admin.secretAccessKey },
    maxAttempts: 1,
  });
}

/** A bucket no other test uses. */
export async function newBucket(s3: TestS3, stem = 'test'): Promise<string> {
  const name = `${stem}-${randomBytes(6).toString('hex')}`;
  const client = s3Client(s3);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return name;
}

export interface StoredObject {
  key: string;
  size: number;
  etag: string;
  body: Buffer;
}

/** Every object under the prefix, with its body, in key order. */
export async function listObjects(client: S3Client, bucket: string, prefix = ''): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
    for (const entry of page.Contents ?? []) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: entry.Key! }));
      objects.push({ key: entry.Key!, size: entry.Size ?? 0, etag: entry.ETag ?? '', body: Buffer.from(await got.Body!.transformToByteArray()) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects.sort((a, b) => a.key.localeCompare(b.key));
}

/** The NDJSON records of a gzipped object. */
export function recordsOf(object: StoredObject): Record<string, unknown>[] {
  return gunzipSync(object.body)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
