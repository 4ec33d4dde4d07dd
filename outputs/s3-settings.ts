import { DestinationRefused } from './sink';

/**
 * An S3 output's settings, none of them secret: where the objects go. Its keys come from its secrets or, without
 * them, from the standard AWS chain (environment, shared files, SSO, the instance's or task's role).
 */
export interface S3Settings {
  bucket: string;
  /** Key prefix without slashes at either end; '' puts `org=…` at the bucket's top. */
  prefix: string;
  region: string;
  /** An S3-compatible server (SeaweedFS, MinIO, R2…); unset for AWS S3 itself. */
  endpoint?: string;
  /** Path-style URLs (endpoint/bucket/key), which most S3-compatible servers need. */
  forcePathStyle: boolean;
}

/** The secrets an S3 output may hold, by these names; none of them means the standard AWS chain. */
export interface S3Secrets {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/** A setting that is not valid, said in one line that names it; met while sending, it is a refusal like any other. */
export class S3SettingError extends DestinationRefused {}

export const DEFAULT_S3_REGION = 'us-east-1';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]{1,32}$/;
/** Characters that every S3 implementation and every query engine takes in a key without escaping. */
const PREFIX = /^[A-Za-z0-9!_.*'()=/-]*$/;
const MAX_PREFIX_LENGTH = 512;

/** Reads and checks settings from an output's stored settings or from a file; throws S3SettingError. */
export function parseS3Settings(raw: Record<string, unknown>): S3Settings {
  const bucket = text(raw, 'bucket');
  if (bucket === undefined) throw new S3SettingError('bucket: required');
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new S3SettingError(`bucket: "${shown(bucket)}" is not a bucket name (3-63 lowercase letters, digits, dots and hyphens)`);
  }
  const prefix = (text(raw, 'prefix') ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.length > MAX_PREFIX_LENGTH || !PREFIX.test(prefix) || (prefix !== '' && prefix.split('/').some((part) => part === '' || part === '.' || part === '..'))) {
    throw new S3SettingError(`prefix: "${shown(prefix)}" is not a key prefix (letters, digits and !_.*'()=-, parts separated by single slashes, up to ${MAX_PREFIX_LENGTH} characters)`);
  }
  const region = text(raw, 'region') ?? DEFAULT_S3_REGION;
  if (!REGION.test(region)) throw new S3SettingError(`region: "${shown(region)}" is not a region name such as eu-west-1`);
  const endpoint = text(raw, 'endpoint');
  if (endpoint !== undefined) checkEndpoint(endpoint);
  const forcePathStyle = raw.forcePathStyle ?? false;
  if (typeof forcePathStyle !== 'boolean') throw new S3SettingError('forcePathStyle: must be true or false');
  return { bucket, prefix, region, ...(endpoint !== undefined ? { endpoint } : {}), forcePathStyle };
}

/** Both keys or neither: half a key pair is a mistake, not a wish for the AWS chain. */
export function parseS3Secrets(secrets: Record<string, string | undefined>): S3Secrets {
  const { accessKeyId, secretAccessKey, sessionToken } = secrets;
  if (!accessKeyId !== !secretAccessKey) throw new S3SettingError('credentials: give both the access key id and the secret access key, or neither to use the AWS credential chain');
  if (sessionToken && !accessKeyId) throw new S3SettingError('credentials: a session token needs an access key id and a secret access key');
  return accessKeyId ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : {};
}

function checkEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new S3SettingError(`endpoint: "${shown(endpoint)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new S3SettingError('endpoint: must be an http or https URL');
  // Keys belong in the output's secrets, where they are sealed; a URL is shown in listings.
  if (url.username || url.password) throw new S3SettingError('endpoint: must not carry credentials; give them as the output\'s keys');
  if (url.search || url.hash) throw new S3SettingError('endpoint: must not carry a query or a fragment');
}

function text(raw: Record<string, unknown>, name: string): string | undefined {
  const value = raw[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new S3SettingError(`${name}: must be text`);
  return value;
}

/** A hostile value is shown, but only so much of it. */
function shown(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}
