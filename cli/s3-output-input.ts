import { OperatorError } from '../config/operator-error';
import { parseS3Secrets, parseS3Settings, S3SettingError, type S3Settings } from '../outputs/s3-settings';
import { parseSecretVariable } from './secret-variables';

/** The flags of `outputs add --kind s3`: where objects go, and the keys by reference only. */
export interface S3OutputFlags {
  bucket?: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
  pathStyle?: boolean;
  accessKeyIdEnv?: string;
  secretAccessKeyEnv?: string;
  sessionTokenEnv?: string;
}

/**
 * An S3 output's settings and secrets from the flags, each refused in one line that names it. The keys are read from
 * the variables named (AUDIT_SECRET_*); without them the worker's AWS credential chain signs.
 */
export function s3OutputFromFlags(flags: S3OutputFlags, env: NodeJS.ProcessEnv = process.env): { settings: Record<string, unknown>; secrets: Record<string, string>; shown: string } {
  try {
    const settings = parseS3Settings({ bucket: flags.bucket, prefix: flags.prefix, region: flags.region, endpoint: flags.endpoint, forcePathStyle: flags.pathStyle === true });
    const read = (flag: string, name: string | undefined) => (name === undefined ? undefined : readVariable(parseSecretVariable(flag, name, env), env));
    const secrets = parseS3Secrets({
      accessKeyId: read('--access-key-id-env', flags.accessKeyIdEnv),
      secretAccessKey: read('--secret-access-key-env', flags.secretAccessKeyEnv),
      sessionToken: read('--session-token-env', flags.sessionTokenEnv),
    });
    return { settings: { ...settings }, secrets: { ...secrets } as Record<string, string>, shown: shownS3(settings) };
  } catch (err) {
    if (err instanceof S3SettingError) throw new OperatorError(`--kind s3: ${err.message}`);
    throw err;
  }
}

/** Where an S3 output sends, as listings show it, whether it was added by flags or by a sources file. */
export function shownS3(settings: S3Settings): string {
  return `s3://${settings.bucket}/${settings.prefix}${settings.endpoint ? ` at ${settings.endpoint}` : ''}`;
}

function readVariable(name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name];
  if (!value) throw new OperatorError(`${name} is not set`);
  return value;
}
