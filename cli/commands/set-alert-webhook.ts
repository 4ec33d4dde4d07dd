import { Command } from 'commander';
import { ALERT_KINDS, SEVERITIES } from '../../alerts/alert-store';
import { newSigningSecret, parseSigningSecret, parseWebhookUrl, redactUrl, sealSigningSecret, setSourceDestination, WebhookUrlError } from '../../alerts/destinations';
import { OperatorError } from '../../config/operator-error';
import { CliContext } from '../context';
import { parseSecretVariable } from '../secret-variables';
import { requireLiveSource } from '../lookup';
import { printResult } from '../output';
import { readWebhookUrl, type WebhookUrlSources } from '../webhook-url-input';

interface WebhookOptions extends WebhookUrlSources {
  slack?: boolean;
  kinds?: string;
  minSeverity?: string;
  sign?: boolean;
  signingSecretEnv?: string;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('set-alert-webhook')
    .description("send a source's alerts to a webhook of its own, besides ALERT_WEBHOOK_URL / ALERT_SLACK_WEBHOOK_URL; off removes it")
    .argument('<name>', 'source name')
    .argument('[off|-]', 'off removes the webhook; - reads its URL from stdin. Never the URL itself: it is a secret')
    .option('--url-env <var>', 'read the http(s) URL from this environment variable')
    .option('--url-file <path>', 'read the http(s) URL from this file')
    .option('--url-stdin', 'read the http(s) URL from stdin')
    .option('--slack', 'a Slack incoming webhook: notices in Block Kit, with a link to the source in the Web UI')
    .option('--kinds <list>', `only these kinds of alert, comma-separated: ${ALERT_KINDS.join(', ')} (default: all)`)
    .option('--min-severity <level>', `only alerts at least this severe: ${SEVERITIES.join(', ')} (default: info)`)
    .option('--sign', 'sign notices (Standard Webhooks) with a new secret, printed once for the receiver')
    .option('--signing-secret-env <var>', 'sign notices with the whsec_ secret in this environment variable (AUDIT_SECRET_* or one in SOURCES_ENV_ALLOWED)')
    .action((name: string, argument: string | undefined, options: WebhookOptions) => setWebhook(context, name, argument, options));
}

async function setWebhook(context: CliContext, name: string, argument: string | undefined, options: WebhookOptions): Promise<void> {
  const format = options.slack ? 'slack' : 'webhook';
  const urlText = await readWebhookUrl(argument, options);
  const url = urlText === null ? null : asOperatorError(() => parseWebhookUrl(urlText));
  const kinds = options.kinds !== undefined ? parseList(options.kinds, ALERT_KINDS, '--kinds') : null;
  const minSeverity = options.minSeverity !== undefined ? parseList(options.minSeverity, SEVERITIES, '--min-severity', 1)[0] : 'info';
  if ((options.sign || options.signingSecretEnv) && format === 'slack') throw new OperatorError('Slack webhooks are not signed: drop --sign and --signing-secret-env');
  if (options.sign && options.signingSecretEnv) throw new OperatorError('give --sign or --signing-secret-env, not both');
  const secret = options.sign ? newSigningSecret() : options.signingSecretEnv !== undefined ? readSecret(parseSecretVariable('--signing-secret-env', options.signingSecretEnv)) : undefined;

  const db = await context.database();
  const source = await requireLiveSource(db, name);
  const sealedSigningSecret = url && secret ? sealSigningSecret(context.cipher(), url, secret) : null;
  await setSourceDestination(db.pool, context.cipher(), source.id, format, url, { kinds, minSeverity, sealedSigningSecret });
  const what = format === 'slack' ? 'Slack webhook' : 'webhook';
  if (!url) return printResult(context.outputFormat(), { action: 'set-alert-webhook', source: source.name, format, url: null }, `${source.name} has no ${what} of its own any more`);
  const filters = [kinds ? `kinds ${kinds.join(', ')}` : '', minSeverity !== 'info' ? `severity ${minSeverity} and above` : ''].filter(Boolean);
  // As in the text: the URL redacted (it is a credential), and a new signing secret shown this once for the receiver.
  const destination = { action: 'set-alert-webhook', source: source.name, format, url: redactUrl(url), kinds, minSeverity, signed: sealedSigningSecret !== null };
  printResult(context.outputFormat(), options.sign ? { ...destination, signingSecret: secret } : destination, [
    `alerts of ${source.name} also go to the ${what} at ${redactUrl(url)}${filters.length ? ` (${filters.join('; ')})` : ''}`,
    ...(options.sign ? [`signing secret, shown once, for the receiver to verify with: ${secret}`] : []),
  ]);
}

function readSecret(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new OperatorError(`${variable} is not set: it must hold the whsec_ signing secret`);
  return asOperatorError(() => parseSigningSecret(value));
}

function parseList<T extends string>(text: string, allowed: readonly T[], flag: string, most = allowed.length): T[] {
  const values = text.split(',').map((part) => part.trim().toLowerCase()).filter(Boolean);
  const unknown = values.find((value) => !allowed.includes(value as T));
  if (values.length === 0 || values.length > most || unknown !== undefined) {
    throw new OperatorError(`${flag} takes ${most === 1 ? 'one of' : 'a comma-separated list of'} ${allowed.join(', ')}, got "${text}"`);
  }
  return [...new Set(values)] as T[];
}

function asOperatorError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof WebhookUrlError) throw new OperatorError(err.message);
    throw err;
  }
}
