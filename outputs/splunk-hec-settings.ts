import { z } from 'zod';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV, insecureLoopbackAllowed, isLoopbackHost } from '../config/api-base-urls';
import { OperatorError } from '../config/operator-error';

// The settings of a Splunk HTTP Event Collector output, as `outputs add --kind splunk_hec` and `apply -f` give them
// and the outputs table stores them. The token is not among them: it is a secret, named by reference where the
// output is declared, stored sealed, and handed to the sink already opened.

export const DEFAULT_SPLUNK_SOURCETYPE = 'atlassian:audit';
/** Stable across workers, so that an event sent twice arrives twice the same and a search can drop the repeat. */
export const DEFAULT_SPLUNK_HOST = 'atlassian-audit';
/** Splunk Cloud refuses HEC requests over 1 MB; an indexer of one's own takes far more (max_content_length). */
export const DEFAULT_MAX_BATCH_BYTES = 1_000_000;
export const MIN_MAX_BATCH_BYTES = 16 * 1024;
export const MAX_MAX_BATCH_BYTES = 64 * 1024 * 1024;
export const DEFAULT_ACK_TIMEOUT_SECONDS = 60;
export const MAX_ACK_TIMEOUT_SECONDS = 600;

/** Where the collector's endpoints live: what people paste may already end in one of them. */
const COLLECTOR_PATH = /\/services\/collector(\/event(\/1\.0)?)?\/*$/;
/** Splunk's rule for index names: lowercase letters, digits, _ and -, not starting with either of the last two. */
const INDEX_NAME = /^[a-z0-9][a-z0-9_-]{0,79}$/;

const collectorUrl = z.string().transform((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${text.slice(0, 200)}" is not a URL` });
    return z.NEVER;
  }
  const problem =
    url.protocol !== 'https:' && url.protocol !== 'http:'
      ? `must be https, got ${url.protocol}`
      : url.username || url.password
        ? 'must not carry user info before its host (the token is given by reference)'
        : url.search || url.hash
          ? 'must not carry a query or a fragment (a token in a query string would be logged by every proxy)'
          : undefined;
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(COLLECTOR_PATH, '').replace(/\/+$/, '')}`;
});

/** What an operator may set; everything but `url` has a default. Unknown keys are refused: a typo is not a default. */
export const splunkHecSettingsSchema = z.strictObject({
  /** The collector's base URL (https://splunk.example.com:8088); the sink appends /services/collector/event and /ack. */
  url: collectorUrl,
  sourcetype: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').default(DEFAULT_SPLUNK_SOURCETYPE),
  index: z.string().regex(INDEX_NAME, 'must be a Splunk index name: lowercase letters, digits, _ and -').optional(),
  host: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').default(DEFAULT_SPLUNK_HOST),
  /** Indexer acknowledgement: a batch counts as delivered only once the indexers say it was indexed. */
  ack: z.boolean({ error: 'must be true or false' }).default(false),
  ackTimeoutSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1 s')
    .max(MAX_ACK_TIMEOUT_SECONDS, `must be at most ${MAX_ACK_TIMEOUT_SECONDS} s`)
    .default(DEFAULT_ACK_TIMEOUT_SECONDS),
  /** The most uncompressed bytes of events in one request; a batch larger than this goes in several requests. */
  maxBatchBytes: z
    .number()
    .int('must be a whole number of bytes')
    .min(MIN_MAX_BATCH_BYTES, `must be at least ${MIN_MAX_BATCH_BYTES} bytes`)
    .max(MAX_MAX_BATCH_BYTES, `must be at most ${MAX_MAX_BATCH_BYTES} bytes (64 MiB)`)
    .default(DEFAULT_MAX_BATCH_BYTES),
}, { error: 'must be an object of settings, such as { url: https://splunk.example.com:8088 }' });

export type SplunkHecSettings = z.output<typeof splunkHecSettingsSchema>;

/**
 * The settings with their defaults, or an OperatorError of one line. http:// would send the token in clear: it is
 * refused except to loopback under the development setting, as for the Atlassian API.
 */
export function parseSplunkHecSettings(input: unknown, env: NodeJS.ProcessEnv = process.env): SplunkHecSettings {
  const parsed = splunkHecSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : 'settings';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown setting ${issue.keys.join(', ')} (known: ${Object.keys(splunkHecSettingsSchema.shape).join(', ')})`
        : issue.path.length === 1 && valueAt(input, issue.path[0]) === undefined
          ? 'is required'
          : issue.message;
    throw new OperatorError(`splunk_hec ${issue.code === 'unrecognized_keys' ? 'settings' : where}: ${message}`);
  }
  const url = new URL(parsed.data.url);
  if (url.protocol === 'http:' && !(isLoopbackHost(url.hostname) && insecureLoopbackAllowed(env))) {
    throw new OperatorError(
      isLoopbackHost(url.hostname)
        ? `splunk_hec url: ${parsed.data.url} is http://: use https, or set ${ALLOW_INSECURE_LOOPBACK_HTTP_ENV}=true for a local receiver`
        : `splunk_hec url: ${parsed.data.url} is http://, which would send the token in clear: use https`,
    );
  }
  return parsed.data;
}

function valueAt(input: unknown, key: PropertyKey): unknown {
  return typeof input === 'object' && input !== null ? (input as Record<PropertyKey, unknown>)[key] : undefined;
}
