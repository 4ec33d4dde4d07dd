import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV, ALLOWED_BASE_URLS_ENV, ATLASSIAN_API_URL, insecureUrlProblem, normalizeApiBaseUrl } from './api-base-urls';
import { OperatorError } from './operator-error';
import { allowedNetworksProblem } from './outbound-guard';
import { resolveTemporalTarget } from './temporal-connection';
import { z } from 'zod';
import { isWatchdogTaskQueue, watchdogTaskQueue } from '../contract/task-queues';

/** A TCP port to listen on; the error reads "NAME: must be a port number from 1 to 65535". */
const NOT_A_PORT = 'must be a port number from 1 to 65535';
const port = () => z.string().regex(/^\d{1,5}$/, NOT_A_PORT).transform(Number).refine((n) => n >= 1 && n <= 65535, NOT_A_PORT);

/** A whole number of at least `min`; the error reads "NAME: must be a whole number of 2 or more". */
const wholeNumber = (min: number) => {
  const message = `must be a whole number of ${min} or more`;
  return z.string().regex(/^\d{1,9}$/, message).transform(Number).refine((n) => n >= min, message);
};

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** A choice among a few words, in any case, whose error lists them. */
function oneOf<const T extends readonly [string, ...string[]]>(choices: T) {
  return z
    .string()
    .toLowerCase()
    .pipe(z.enum(choices, { error: (issue) => `"${String(issue.input)}" is not one of ${choices.join(', ')}` }));
}

/** An API base URL, normalized as it is compared; whether http:// may be used is checked with the whole environment. */
const apiBaseUrl = z.string().transform((text, ctx) => {
  try {
    return normalizeApiBaseUrl(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** API base URLs, comma-separated, each as `apiBaseUrl` takes it. */
const apiBaseUrls = z.string().transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean)).pipe(z.array(apiBaseUrl));

/** Environment variable names, comma-separated. */
const variableNames = z.string().regex(/^\s*[A-Za-z_][A-Za-z0-9_]*\s*(,\s*[A-Za-z_][A-Za-z0-9_]*\s*)*,?\s*$/, 'must be environment variable names, comma-separated');

/**
 * Settings that every process reads from the environment (workers, operator scripts, the stack runner), validated
 * once so that a bad value fails at start in one line instead of deep inside a poll.
 */
const schema = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is empty'),
  /** Resolved with the `temporal` CLI's profile and TLS settings by config/temporal-connection.ts. */
  TEMPORAL_ADDRESS: z.string(),
  TEMPORAL_NAMESPACE: z.string(),
  TEMPORAL_TASK_QUEUE: z
    .string()
    .min(1)
    .refine((queue) => !isWatchdogTaskQueue(queue), `must not end as the watchdogs' queue does (${watchdogTaskQueue('')})`)
    .default('atlassian-audit'),
  ATLASSIAN_API_BASE_URL: apiBaseUrl.default(ATLASSIAN_API_URL),
  /** More base URLs a sources file or --api-base-url may choose, besides Atlassian's and ATLASSIAN_API_BASE_URL. */
  [ALLOWED_BASE_URLS_ENV]: apiBaseUrls.optional(),
  /** Development only: http:// to a loopback host (the simulator) is accepted when "true". */
  [ALLOW_INSECURE_LOOPBACK_HTTP_ENV]: oneOf(['true', 'false']).optional(),
  /** Variables a sources file or a --*-env flag may name besides AUDIT_SECRET_*, comma-separated. */
  SOURCES_ENV_ALLOWED: variableNames.optional(),
  /**
   * The largest API response body a worker reads, in bytes (default 32 MiB, atlassian/client.ts); a larger one fails
   * its page, which is asked for again. Below 1 MiB it would refuse honest pages of 500 events.
   */
  ATLASSIAN_MAX_RESPONSE_BYTES: wholeNumber(1024 * 1024).optional(),
  CREDENTIALS_KEY: z.string().optional(),
  /** Older credentials keys, comma-separated: they still open what they sealed until `reencrypt` has run. */
  CREDENTIALS_PREVIOUS_KEYS: z.string().optional(),
  /** Optional prebuilt workflow bundle: workers start in milliseconds instead of bundling at start. */
  TEMPORAL_WORKFLOW_BUNDLE: z.string().optional(),
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'ALERT_WEBHOOK_URL must be an http(s) URL' }).optional(),
  /** Standard Webhooks secret (whsec_…) that signs the notices sent to ALERT_WEBHOOK_URL. */
  ALERT_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'ALERT_WEBHOOK_SECRET must be whsec_ followed by base64').optional(),
  /** The Temporal Web UI's address, for links in Slack notices (e.g. http://localhost:8233). */
  TEMPORAL_UI_URL: z.url({ protocol: /^https?$/, message: 'TEMPORAL_UI_URL must be an http(s) URL' }).optional(),
  ALERT_SLACK_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'ALERT_SLACK_WEBHOOK_URL must be an http(s) URL' }).optional(),
  /** A worker serves Prometheus metrics (the SDK's and its own) on this port at /metrics; off when unset. */
  METRICS_PORT: port().optional(),
  /** A worker serves /livez, /readyz and the metrics read from PostgreSQL (/metrics) on this port; off when unset. */
  HEALTH_PORT: port().optional(),
  /**
   * Workflows a worker keeps in memory between their tasks (the SDK's sticky cache, maxCachedWorkflows): a source
   * workflow each (their silence watchdogs have a cache of their own); one evicted replays its run at its next task.
   * docs/sizing.md.
   */
  WORKFLOW_CACHE_SIZE: wholeNumber(2).optional(),
  /** The cache of the worker's second poller, on the silence watchdogs' own task queue; workers/create-worker.ts. */
  WATCHDOG_CACHE_SIZE: wholeNumber(2).optional(),
  /**
   * Non-public networks that API and webhook requests may reach, comma-separated CIDRs (127.0.0.0/8,::1/128 for the
   * local simulator); none by default. config/outbound-guard.ts reads it where requests are made.
   */
  OUTBOUND_ALLOWED_NETWORKS: z
    .string()
    .superRefine((text, ctx) => {
      const problem = allowedNetworksProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  LOG_LEVEL: oneOf(LOG_LEVELS).default('info'),
  /** json (one object a line, for log pipelines) or pretty (for people watching `make demo`). */
  LOG_FORMAT: oneOf(LOG_FORMATS).default('json'),
}).superRefine((settings, ctx) => {
  const urls = [['ATLASSIAN_API_BASE_URL', settings.ATLASSIAN_API_BASE_URL], ...(settings[ALLOWED_BASE_URLS_ENV] ?? []).map((url) => [ALLOWED_BASE_URLS_ENV, url])];
  for (const [name, url] of urls) {
    const problem = insecureUrlProblem(url, { [ALLOW_INSECURE_LOOPBACK_HTTP_ENV]: settings[ALLOW_INSECURE_LOOPBACK_HTTP_ENV] });
    if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

export type Environment = z.infer<typeof schema>;

export class ConfigurationError extends OperatorError {
  override name = 'ConfigurationError';
}

export function loadEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  // Empty strings mean "unset" for optional settings, as shells and compose files tend to pass them.
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const { address, namespace } = resolveTemporalTarget(present);
  const parsed = schema.safeParse({ ...present, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigurationError(issue.code === 'invalid_type' && present[name] === undefined ? `${name} is not set` : `${name}: ${issue.message}`);
  }
  return parsed.data;
}
