import { Command } from 'commander';
import { findSourceByName } from '../../store/sources';
import { OperatorError } from '../../config/operator-error';
import { DEFAULT_BACKFILL_DAYS, DEFAULT_POLL_INTERVAL_SECONDS, DEFAULT_SILENCE_WINDOW_SECONDS } from '../../contract/settings';
import { sourceWorkflowId } from '../../contract/ids';
import { createSource } from '../create-source';
import { readApiKey } from '../api-key-input';
import { CliContext } from '../context';
import { formatDuration } from '../../contract/durations';
import {
  parseApiBaseUrl,
  parseBackfillDays,
  parseIntervalSeconds,
  parseKeyExpiry,
  parseOrgId,
  parseSilenceWindow,
  parseSourceName,
} from '../inputs';
import { checkApiKey } from '../key-check';
import { parseSecretVariable } from '../secret-variables';
import { printResult } from '../output';
import { parsePackList } from '../pack-inputs';

interface AddOptions {
  orgId: string;
  apiKeyEnv?: string;
  interval: string;
  silenceWindow: string;
  silenceAlert: boolean;
  backfillDays: string;
  keyExpires?: string;
  apiBaseUrl?: string;
  detectionPacks?: string;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('add')
    .description('add a log source: check its API key live, store the key encrypted and start the source workflow')
    .argument('<name>', 'source name: lowercase letters, digits, ".", "_", "-" (up to 63)')
    .requiredOption('--org-id <uuid>', 'Atlassian organization ID')
    .option('--api-key-env <var>', 'read the API key from this environment variable (AUDIT_SECRET_* or one in SOURCES_ENV_ALLOWED) instead of stdin')
    .option('--interval <duration>', 'time between polls: 90s, 5m, 1h or seconds', formatDuration(DEFAULT_POLL_INTERVAL_SECONDS))
    .option('--silence-window <duration>', 'alert when no event arrived for this long: 90m, 24h, 2d or seconds', formatDuration(DEFAULT_SILENCE_WINDOW_SECONDS))
    .option('--no-silence-alert', 'never alert on silence for this source')
    .option('--backfill-days <days>', 'days of history to ingest first (0 to 180)', String(DEFAULT_BACKFILL_DAYS))
    .option('--key-expires <YYYY-MM-DD>', "the API key's expiry date")
    .option('--api-base-url <url>', 'Atlassian API base URL, one the operator allow-listed in ATLASSIAN_API_ALLOWED_BASE_URLS (default: ATLASSIAN_API_BASE_URL)')
    .option('--detection-packs <ids>', 'comma-separated detection packs to enable from the first page (see `packs list`)')
    .action((name: string, options: AddOptions) => addSource(context, name, options));
}

async function addSource(context: CliContext, rawName: string, options: AddOptions): Promise<void> {
  const name = parseSourceName(rawName);
  const organizationId = parseOrgId(options.orgId);
  const pollIntervalSeconds = parseIntervalSeconds(options.interval);
  const silenceWindowSeconds = parseSilenceWindow(options.silenceWindow);
  const backfillDays = parseBackfillDays(options.backfillDays);
  const apiKeyExpiresAt = options.keyExpires !== undefined ? parseKeyExpiry(options.keyExpires) : null;
  const apiKeyEnv = options.apiKeyEnv !== undefined ? parseSecretVariable('--api-key-env', options.apiKeyEnv) : undefined;
  const env = context.environment();
  const apiBaseUrl = parseApiBaseUrl(options.apiBaseUrl ?? env.ATLASSIAN_API_BASE_URL);
  const detectionPacks = options.detectionPacks !== undefined ? parsePackList(options.detectionPacks) : [];
  const cipher = context.cipher();

  const db = await context.database();
  const existing = await findSourceByName(db, name);
  if (existing) {
    const hint = existing.status === 'removed' ? `it was removed; \`remove ${name} --purge\` frees the name` : 'choose another name';
    throw new OperatorError(`a source named "${name}" already exists (${hint})`);
  }
  // Reached before the key is read and checked, so an unreachable Temporal fails before anyone types a key.
  const client = await context.temporal();
  const apiKey = await readApiKey(apiKeyEnv);
  await checkApiKey(apiBaseUrl, organizationId, apiKey);

  const settings = {
    name,
    organizationId,
    apiBaseUrl,
    pollIntervalSeconds,
    silenceWindowSeconds,
    silenceAlertEnabled: options.silenceAlert,
    backfillDays,
    apiKeyExpiresAt,
  };
  await createSource(db, client, cipher, env.TEMPORAL_TASK_QUEUE, settings, apiKey, detectionPacks.map((pack) => pack.id));

  const alert = options.silenceAlert ? `silence alert after ${formatDuration(silenceWindowSeconds)}` : 'no silence alert';
  const packIds = detectionPacks.map((pack) => pack.id);
  const added = { action: 'add', source: name, settings: { ...settings, detectionPacks: packIds }, workflowId: sourceWorkflowId(name), taskQueue: env.TEMPORAL_TASK_QUEUE };
  printResult(
    context.outputFormat(),
    added,
    `added source ${name} (organization ${organizationId}): polling every ${pollIntervalSeconds} s after a ${backfillDays}-day backfill, ${alert}; ` +
      `workflow ${sourceWorkflowId(name)} on task queue ${env.TEMPORAL_TASK_QUEUE}` +
      (packIds.length > 0 ? `; detection packs: ${packIds.join(', ')}` : ''),
  );
}
