import { OperatorError } from './operator-error';
import { resolveTemporalTarget } from './temporal-connection';
import { z } from 'zod';

/**
 * Settings that every process reads from the environment (workers, operator scripts, the stack runner), validated
 * once so that a bad value fails at start in one line instead of deep inside a poll.
 */
const schema = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is empty'),
  /** Resolved with the `temporal` CLI's profile and TLS settings by config/temporal-connection.ts. */
  TEMPORAL_ADDRESS: z.string(),
  TEMPORAL_NAMESPACE: z.string(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('atlassian-audit'),
  ATLASSIAN_API_BASE_URL: z.url({ protocol: /^https?$/, message: 'ATLASSIAN_API_BASE_URL must be an http(s) URL' }).default('https://api.atlassian.com'),
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
