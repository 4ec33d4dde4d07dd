import { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { listSourceDestinations } from '../../alerts/destinations';
import { formatDuration, parseDurationSeconds } from '../../contract/durations';
import { listEnabledPacks, listGroupPeriods } from '../../detections/store';
import { listOutputs, listOutputSecretNames, type OutputRecord } from '../../store/outputs';
import { listSourceRetention } from '../../store/retention';
import { listSources } from '../../store/sources';
import { CliContext } from '../context';
import { OUTPUT_KIND_RULES } from '../output-kinds';
import { printJson } from '../output';
import { outputSecretVariableFor, secretVariableFor } from '../secret-variables';

export function register(program: Command, context: CliContext): void {
  program
    .command('export')
    .description(
      'print the live sources and outputs as a file that `apply -f` takes (YAML, or JSON with -o json): keys, webhook URLs and output secrets as the environment variables to read them from, never themselves',
    )
    .action(async () => {
      const db = await context.database();
      const [sources, packs, destinations, groupPeriods, retention, outputs, outputSecrets] = await Promise.all([
        listSources(db),
        listEnabledPacks(db),
        listSourceDestinations(db.pool),
        listGroupPeriods(db),
        listSourceRetention(db, new Date()),
        listOutputs(db),
        listOutputSecretNames(db),
      ]);
      const sourceNames = new Map(sources.filter((source) => source.status !== 'removed').map((source) => [source.id, source.name]));
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
        // Without them, `apply --prune` of an export would remove every output; a database without any exports as before.
        ...(outputs.length > 0 ? { outputs: outputs.map((output) => outputEntry(output, outputSecrets.get(output.id) ?? [], sourceNames)) } : {}),
      };
      if (context.outputFormat() === 'json') return printJson(document);
      process.stdout.write(toYaml(document));
    });
}

/**
 * An output as `apply -f` reads it: its settings under their stored names, each secret it holds as a variable to read
 * it from. A secret the file may leave out without losing it (a signing secret `--sign` made) is left out.
 */
function outputEntry(output: OutputRecord, secretNames: string[], sourceNames: ReadonlyMap<string, string>): Record<string, unknown> {
  const settings = Object.fromEntries(Object.entries(output.settings).filter(([name]) => name !== 'shownUrl'));
  const rules = OUTPUT_KIND_RULES[output.kind].secretFields;
  const secrets = secretNames.filter((name) => rules[name] !== undefined && rules[name] !== 'kept').map((name) => [name, { env: outputSecretVariableFor(output.name, name) }]);
  return {
    name: output.name,
    kind: output.kind,
    format: output.format,
    ...settings,
    ...Object.fromEntries(secrets),
    ...(output.allSources ? {} : { sources: output.sourceIds.map((id) => sourceNames.get(id)).filter((name) => name !== undefined) }),
    batch: { events: output.batching.maxEvents, bytes: output.batching.maxBytes, age: fileDuration(output.batching.maxAgeSeconds) },
    lagAlert: fileDuration(output.lagAlertSeconds),
  };
}

/** 5m or 24h as the file is written by hand, where that reads back exactly; else plain seconds (90 s is not 1m 30s). */
function fileDuration(seconds: number): string | number {
  const text = formatDuration(seconds);
  return parseDurationSeconds(text) === seconds ? text : seconds;
}

function fileDurations(periods: Readonly<Record<string, number>>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(periods).map(([ruleId, seconds]) => [ruleId, fileDuration(seconds)]));
}
