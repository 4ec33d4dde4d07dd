import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { createGuardedAgents } from '../config/outbound-agents';
import { environmentPolicy, OutboundRefusedError, type OutboundPolicy } from '../config/outbound-guard';
import { ndjsonBytes } from './ndjson';
import { dayObjects, type DayObject } from './s3-object-keys';
import type { S3Secrets, S3Settings } from './s3-settings';
import { DestinationRefused, type OutgoingBatch, type Sink } from './sink';

const gzipAsync = promisify(gzip);
/**
 * A fast level rather than zlib's default (6): forwarding shares the worker's cores with ingestion, and somewhat larger
 * objects in a bucket cost less than the CPU that would shrink them.
 */
const GZIP_LEVEL = 3;
/**
 * zlib hands its output back through the event loop one chunk at a time, and each hand-over waits behind whatever the
 * loop is doing (parsing the next batch's rows): 1 MiB chunks hold a usual batch's object whole, where the default
 * 16 KiB would make it dozens of waits.
 */
const GZIP_CHUNK_BYTES = 1 << 20;

export interface S3SinkOptions {
  settings: S3Settings;
  /** Opened from the output's sealed secrets; empty means the standard AWS credential chain. */
  secrets: S3Secrets;
  /** Which non-public addresses it may reach; by default what OUTBOUND_ALLOWED_NETWORKS allows. */
  outbound?: OutboundPolicy;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** A batch that spans many days (a backfill of late events) is written a few objects at a time. */
const PARALLEL_PUTS = 4;

/**
 * Errors that come back on every retry: the bucket is not there, or the keys are wrong or may not write. The output
 * pauses and alerts on these; anything else (throttling, 5xx, a dropped connection) is transient and retried.
 */
const REFUSALS: Record<string, string> = {
  NoSuchBucket: 'the bucket does not exist',
  AccessDenied: 'the credentials may not write to the bucket',
  InvalidAccessKeyId: 'the access key id is not known to the server',
  SignatureDoesNotMatch: 'the secret access key does not match the access key id',
  InvalidBucketName: 'the bucket name is not valid',
  AllAccessDisabled: 'all access to the bucket is disabled',
  PermanentRedirect: 'the bucket is in another region than the output names',
  AuthorizationHeaderMalformed: 'the bucket is in another region than the output names',
};

/**
 * S3 and S3-compatible object storage: each batch becomes gzipped NDJSON objects, one per UTC day of its events, under
 * keys fixed by the batch's range. A retried batch writes the same keys with the same bytes (gzip output is a pure
 * function of its input), so the bucket ends with each event exactly once whatever was retried.
 */
export function createS3Sink(options: S3SinkOptions): Sink {
  const { settings } = options;
  const agents = createGuardedAgents(options.outbound ?? environmentPolicy());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    ...(options.secrets.accessKeyId ? { credentials: options.secrets as Required<Pick<S3Secrets, 'accessKeyId' | 'secretAccessKey'>> } : {}),
    // Integrity comes from Content-MD5, which every S3-compatible server checks; the newer checksum headers are not
    // understood by all of them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ ...agents, connectionTimeout: 10_000, requestTimeout: timeoutMs, throwOnRequestTimeout: true }),
  });
  return {
    async send(batch: OutgoingBatch, signal: AbortSignal): Promise<void> {
      const objects = dayObjects(batch, settings.prefix);
      for (let i = 0; i < objects.length; i += PARALLEL_PUTS) {
        await Promise.all(objects.slice(i, i + PARALLEL_PUTS).map((object) => put(client, settings.bucket, batch, object, signal)));
      }
    },
    async close(): Promise<void> {
      client.destroy();
    },
  };
}

async function put(client: S3Client, bucket: string, batch: OutgoingBatch, object: DayObject, signal: AbortSignal): Promise<void> {
  const body = await gzipAsync(ndjsonBytes(object.records), { level: GZIP_LEVEL, chunkSize: GZIP_CHUNK_BYTES });
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: object.key,
        Body: body,
        ContentType: 'application/gzip',
        ContentMD5: createHash('md5').update(body).digest('base64'),
        Metadata: { 'source-id': batch.source.id, 'first-seq': String(batch.firstSeq), 'last-seq': String(batch.lastSeq), events: String(object.records.length) },
      }),
      { abortSignal: signal },
    );
  } catch (err) {
    throw classified(err, bucket);
  }
}

/** A refusal as DestinationRefused naming the bucket (never a key); anything else as it is, to be retried. */
function classified(err: unknown, bucket: string): unknown {
  if (err instanceof OutboundRefusedError || (err as { code?: unknown } | null)?.code === 'ERR_OUTBOUND_REFUSED') {
    return new DestinationRefused(`refused: ${(err as Error).message}`);
  }
  if ((err as { name?: unknown } | null)?.name === 'CredentialsProviderError') {
    return new DestinationRefused('no AWS credentials found: give the output keys, or set up the AWS credential chain for the worker');
  }
  if (err instanceof S3ServiceException && Object.hasOwn(REFUSALS, err.name)) {
    return new DestinationRefused(`bucket ${bucket}: ${REFUSALS[err.name]} (${err.name})`);
  }
  return err;
}
