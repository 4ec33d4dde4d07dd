import { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { listSourceDestinations } from '../../alerts/destinations';
import { formatDuration, parseDurationSeconds } from '../../contract/durations';
import { listEnabledPacks, listGroupPeriods } from '../../detections/store';
import { listSourceRetention } from '../../store/retention';
import { listSources } from '../../store/sources';
import { CliContext } from '../context';
import { printJson } from '../output';
import { secretVariableFor } from '../secret-variables';

export function register(program: Command, context: CliContext): void {
  program
    .command('export')
    .description(
      'print the live sources as a file that `apply -f` takes (YAML, or JSON with -o json): keys and webhook URLs as the environment variables to read them from, never themselves',
    )
    .action(async () => {
      const db = await context.database();
      const [sources, packs, destinations, groupPeriods, retention] = await Promise.all([
        listSources(db),
        listEnabledPacks(db),
        listSourceDestinations(db.pool),
        listGroupPeriods(db),
        listSourceRetention(db, new Date()),
      ]);
      const retentionOf = new Map(retention.map((entry) => [entry.sourceId, entry]));
      const document = {
        sources: sources
          .filter((source) => source.status !== 'removed')
          .map((source) => ({
            name: source.name,
            orgId: source.organizationId,
            apiKey: { env: secretVariableFor(source.name, 'API_KEY') },
            interval: fileDuration(source.pollIntervalSeconds),
            silenceWindow: fileDuration(source.silenceWindowSeconds),
            silenceAlert: source.silenceAlertEnabled,
            backfillDays: source.backfillDays,
            ...(source.apiKeyExpiresAt ? { keyExpires: source.apiKeyExpiresAt.toISOString().slice(0, 10) } : {}),
            apiBaseUrl: source.apiBaseUrl,
            detectionPacks: packs.filter((pack) => pack.sourceId === source.id).map((pack) => pack.packId),
            ...(groupPeriods.has(source.id) ? { detectionGroupPeriods: fileDurations(groupPeriods.get(source.id)!) } : {}),
            webhooks: destinations
              .filter((destination) => destination.sourceId === source.id)
              .map((destination) => ({
                // A webhook URL is a secret like a key: the file says where to read it from, never the URL.
                url: { env: secretVariableFor(source.name, destination.format === 'slack' ? 'SLACK_WEBHOOK_URL' : 'WEBHOOK_URL') },
                format: destination.format,
                kinds: destination.kinds,
                minSeverity: destination.minSeverity,
                signingSecret: destination.sealedSigningSecret ? { env: secretVariableFor(source.name, 'WEBHOOK_SECRET') } : null,
              })),
            ...(retentionOf.get(source.id)?.retentionDays != null ? { retentionDays: retentionOf.get(source.id)!.retentionDays } : {}),
            // Written so that applying the export keeps the hold; a file that leaves it out leaves it in force too.
            ...(retentionOf.get(source.id)?.hold ? { legalHold: { reason: retentionOf.get(source.id)!.hold!.reason } } : {}),
          })),
      };
      if (context.outputFormat() === 'json') return printJson(document);
      process.stdout.write(toYaml(document));
    });
}

/** 5m or 24h as the file is written by hand, where that reads back exactly; else plain seconds (90 s is not 1m 30s). */
function fileDuration(seconds: number): string | number {
  const text = formatDuration(seconds);
  return parseDurationSeconds(text) === seconds ? text : seconds;
}

function fileDurations(periods: Readonly<Record<string, number>>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(periods).map(([ruleId, seconds]) => [ruleId, fileDuration(seconds)]));
}
