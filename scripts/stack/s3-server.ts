import { CreateBucketCommand, ListBucketsCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertPortFree, freePort, ManagedProcess, tailOfFile, waitUntil } from './processes';
import { WorkerSupervisor } from './worker-supervisor';

/** SeaweedFS answers in any region; the SDK needs one to sign with. */
export const LOCAL_S3_REGION = 'us-east-1';

export type S3Action = 'Admin' | 'Read' | 'List' | 'Tagging' | 'Write';

/** A key pair the server accepts, and what it may do. */
export interface S3Identity {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  actions: S3Action[];
}

/** Every port `weed server` listens on; kept across a restart so that clients find it where it was. */
export interface S3ServerPorts {
  s3: number;
  s3Grpc: number;
  master: number;
  masterGrpc: number;
  volume: number;
  volumeGrpc: number;
  filer: number;
  filerGrpc: number;
}

export interface S3ServerOptions {
  weedPath: string;
  /** Buckets and objects; a server started again on the same folder and ports serves the same objects. */
  dataDir: string;
  logFile: string;
  /** The S3 port; the other ports are free ones unless `ports` names them all. */
  port?: number;
  ports?: S3ServerPorts;
  /** The first identity is the administrator the stack itself uses (readiness, creating buckets). */
  identities: S3Identity[];
  startTimeoutMs?: number;
  /** The stack's output: given, a server that dies is started again after a backoff, and it says so. */
  supervise?: (line: string) => void;
}

export interface S3Server {
  endpoint: string;
  region: string;
  ports: S3ServerPorts;
  admin: S3Identity;
  process: ManagedProcess;
  /** Creates the bucket unless it exists already. */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** An administrator identity with fresh random keys. */
export function randomAdminIdentity(name = 'admin'): S3Identity {
  return { name, accessKeyId: `AK${randomBytes(9).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url'), actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] };
}

/**
 * `weed server` with its S3 gateway, on loopback, with the identities given (from a file, never from the command
 * line: the keys are secrets). Ready once the administrator can list buckets.
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const ports = options.ports ?? (await choosePorts(options.port));
  await assertPortFree(ports.s3, 'S3 server', 'S3_PORT');
  mkdirSync(options.dataDir, { recursive: true });
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const configFile = path.join(options.dataDir, 's3-identities.json');
  writeFileSync(configFile, JSON.stringify({ identities: options.identities.map(toSeaweedIdentity) }, null, 2), { mode: 0o600 });

  const args = [
    'server',
    `-dir=${options.dataDir}`,
    `-ip=${HOST}`,
    `-master.port=${ports.master}`,
    `-master.port.grpc=${ports.masterGrpc}`,
    `-volume.port=${ports.volume}`,
    `-volume.port.grpc=${ports.volumeGrpc}`,
    '-filer',
    `-filer.port=${ports.filer}`,
    `-filer.port.grpc=${ports.filerGrpc}`,
    '-s3',
    `-s3.port=${ports.s3}`,
    `-s3.port.grpc=${ports.s3Grpc}`,
    `-s3.config=${configFile}`,
    // A missing bucket must stay missing: an output aimed at a typo is refused, not given a new bucket.
    '-s3.autoCreateBucket=false',
    // Nothing here may reach the internet, and the catalog servers would take fixed ports.
    '-master.telemetry=false',
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    // Small volumes: a local stack holds megabytes, and the default would reserve room for gigabytes per volume.
    '-master.volumeSizeLimitMB=64',
    '-volume.max=0',
  ];
  const server = new WorkerSupervisor(
    () => new ManagedProcess('seaweedfs', options.weedPath, args, options.logFile, { cwd: options.dataDir }),
    options.supervise ?? (() => undefined),
    'S3 server',
  );
  const endpoint = `http://${HOST}:${ports.s3}`;
  const admin = options.identities[0];
  const client = adminClient(endpoint, admin);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  try {
    await waitUntil(
      async () => {
        await client.send(new ListBucketsCommand({}));
        return true;
      },
      {
        timeoutMs,
        intervalMs: 500,
        failure: () => `the S3 server did not answer at ${endpoint} within ${timeoutMs / 1000} s (log: ${options.logFile}):\n${tailOfFile(options.logFile)}`,
        abort: () => (server.process.running ? undefined : `the S3 server exited at start (log: ${options.logFile}):\n${tailOfFile(options.logFile)}`),
      },
    );
  } catch (err) {
    client.destroy();
    await server.stop();
    throw err;
  }
  if (options.supervise) server.keepRunning();
  return {
    endpoint,
    region: LOCAL_S3_REGION,
    ports,
    admin,
    get process() {
      return server.process;
    },
    createBucket: (name) => createBucket(client, name),
    stop: async () => {
      client.destroy();
      await server.stop();
    },
  };
}

async function createBucket(client: S3Client, name: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (err) {
    if (err instanceof S3ServiceException && (err.name === 'BucketAlreadyOwnedByYou' || err.name === 'BucketAlreadyExists')) return;
    throw err;
  }
}

function adminClient(endpoint: string, admin: S3Identity): S3Client {
  return new S3Client({
    endpoint,
    region: LOCAL_S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    maxAttempts: 1,
  });
}

function toSeaweedIdentity(identity: S3Identity) {
  return { name: identity.name, credentials: [{ accessKey: identity.accessKeyId, secretKey: identity.secretAccessKey }], actions: identity.actions };
}

async function choosePorts(s3Port: number | undefined): Promise<S3ServerPorts> {
  // One at a time: two free ports asked for together could be the same one.
  const taken = new Set<number>();
  const another = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const s3 = s3Port ?? (await another());
  taken.add(s3);
  return { s3, s3Grpc: await another(), master: await another(), masterGrpc: await another(), volume: await another(), volumeGrpc: await another(), filer: await another(), filerGrpc: await another() };
}
