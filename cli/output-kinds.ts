import { OperatorError } from '../config/operator-error';
import { parseS3Secrets, parseS3Settings, S3SettingError } from '../outputs/s3-settings';
import { parseSplunkHecSettings } from '../outputs/splunk-hec-settings';
import type { OutputKind } from '../store/outputs';
import { parseOutputSigningSecret, parseOutputUrl } from './output-settings';
import { shownS3 } from './s3-output-input';

// What each kind of output takes in a sources file, checked by the same validators as `outputs add`, and stored as
// `outputs add` stores it: an output added by the CLI and declared the same in a file is unchanged by `apply`.

/**
 * How a file names one of the kind's secrets (always by reference):
 * - required: the file must name it;
 * - optional: left out, a stored one is removed (an S3 output without keys signs with the AWS credential chain);
 * - kept: left out, a stored one stays (a secret that `outputs add --sign` made has no reference a file could name).
 */
export type SecretRule = 'required' | 'optional' | 'kept';

export interface OutputKindRules {
  /** The kind's settings in the file, under the names they are stored by. */
  settingFields: readonly string[];
  secretFields: Readonly<Record<string, SecretRule>>;
  /** The settings as stored (without shownUrl); throws one line that starts with the setting's name. */
  checkSettings(raw: Record<string, unknown>): Record<string, unknown>;
  /** The secrets as stored, by name; `where` names the file and the output in a refusal. */
  checkSecrets(secrets: Record<string, string>, where: string): Record<string, string>;
  /** Where the output sends, as listings show it. */
  shown(settings: Record<string, unknown>, secrets: Record<string, string>): string;
}

export const OUTPUT_KIND_RULES: Record<OutputKind, OutputKindRules> = {
  http: {
    settingFields: ['gzip'],
    secretFields: { url: 'required', signingSecret: 'kept' },
    checkSettings: ({ gzip = false }) => {
      if (typeof gzip !== 'boolean') throw new OperatorError('gzip: must be true or false');
      return { gzip };
    },
    checkSecrets: ({ url, signingSecret }, where) => ({
      url: parseOutputUrl(url, `${where}: url`).url,
      ...(signingSecret ? { signingSecret: parseOutputSigningSecret(signingSecret, `${where}: signingSecret`) } : {}),
    }),
    shown: (_settings, secrets) => parseOutputUrl(secrets.url).shownUrl,
  },
  s3: {
    settingFields: ['bucket', 'prefix', 'region', 'endpoint', 'forcePathStyle'],
    secretFields: { accessKeyId: 'optional', secretAccessKey: 'optional', sessionToken: 'optional' },
    checkSettings: (raw) => ({ ...s3Checked(() => parseS3Settings(raw)) }),
    checkSecrets: (secrets, where) => ({ ...s3Checked(() => parseS3Secrets(secrets), where) }) as Record<string, string>,
    shown: (settings) => shownS3(parseS3Settings(settings)),
  },
  splunk_hec: {
    settingFields: ['url', 'sourcetype', 'index', 'host', 'ack', 'ackTimeoutSeconds', 'maxBatchBytes'],
    secretFields: { token: 'required' },
    checkSettings: (raw) => {
      try {
        return { ...parseSplunkHecSettings(raw) };
      } catch (err) {
        // Its messages name the kind for the CLI's flags; in a file, the output's line already says which it is.
        if (err instanceof OperatorError) throw new OperatorError(err.message.replace(/^splunk_hec /, ''));
        throw err;
      }
    },
    checkSecrets: ({ token }) => ({ token }),
    shown: (settings) => String(settings.url),
  },
};

/** The S3 validators' refusal as an operator's mistake, in one line. */
function s3Checked<T>(parse: () => T, where?: string): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof S3SettingError) throw new OperatorError(where ? `${where}: ${err.message}` : err.message);
    throw err;
  }
}

/** The kinds, other than this one, that take a field: a field of another kind is a mistake, not an extra. */
export function kindsTaking(field: string, kind: OutputKind): OutputKind[] {
  return (Object.entries(OUTPUT_KIND_RULES) as [OutputKind, OutputKindRules][])
    .filter(([other, rules]) => other !== kind && (rules.settingFields.includes(field) || field in rules.secretFields))
    .map(([other]) => other);
}
