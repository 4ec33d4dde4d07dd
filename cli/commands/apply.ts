import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { Command } from 'commander';
import path from 'node:path';
import { listSourceDestinations, sealSigningSecret, setSourceDestination } from '../../alerts/destinations';
import { setSilenceAlarmUpdate } from '../../contract/alert-messages';
import { formatDuration } from '../../contract/durations';
import { sourceWorkflowId } from '../../contract/ids';
import { keyRotatedSignal, setIntervalUpdate } from '../../contract/source-messages';
import { OperatorError } from '../../config/operator-error';
import { disablePack, enablePack, listEnabledPacks, listGroupPeriods, saveDetectionSettings } from '../../detections/store';
import { apiKeyContext, type CredentialCipher } from '../../store/credentials';
import type { Database } from '../../store/database';
import { listSourceRetention, placeLegalHold, releaseLegalHold, setSourceRetentionDays } from '../../store/retention';
import { listSources, updateSource, type SourceRecord } from '../../store/sources';
import { forEachConcurrently } from '../concurrently';
import { CliContext, describeCause } from '../context';
import { createSource } from '../create-source';
import { checkApiKey } from '../key-check';
import { findWorkflow } from '../lookup';
import { printLine, printResult } from '../output';
import { DEFAULT_STOP_TIMEOUT_SECONDS, removeSource } from '../remove-source';
import { readSourceFile } from '../source-file';
import { planSources, type CurrentState, type SourcePlan, type SourceUpdate, type WebhookChange } from '../source-plan';
import { startSourceWorkflow } from '../start-source-workflow';
import { shortWindowsAllowed } from '../inputs';
import { readOutputsOfFile } from '../output-file';
import { applyOutputs, planOutputs, type OutputPlan } from '../apply-outputs';

/** Requests in flight at once: enough to apply a thousand sources in seconds, few enough for one small server. */
const PARALLEL = 16;
/** Live key checks at once: the Atlassian API rate-limits per key, but many new sources share none. */
const PARALLEL_KEY_CHECKS = 8;

interface ApplyOptions {
  file: string;
  prune?: boolean;
  dryRun?: boolean;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('apply')
    .description('make the sources what a YAML or JSON file declares: create what is missing, update what differs, report (or --prune) the rest')
    .requiredOption('-f, --file <path>', 'the sources file (see `export` for its shape)')
    .option('--prune', 'also remove the live sources the file does not declare (their events stay)')
    .option('--dry-run', 'print the plan and change nothing')
    .action((options: ApplyOptions) => apply(context, options));
}

async function apply(context: CliContext, options: ApplyOptions): Promise<void> {
  const env = context.environment();
  const declared = readSourceFile(options.file, env.ATLASSIAN_API_BASE_URL);
  const declaredOutputs = readOutputsOfFile(options.file);
  const db = await context.database();
  const client = await context.temporal();
  const cipher = context.cipher();
  const current = await readCurrentState(db, client);
  const plan = planSources(options.file, declared, current, cipher);
  const sourceNames = new Set([...declared.map((s) => s.name), ...current.sources.filter((s) => s.status !== 'removed').map((s) => s.name)]);
  const outputPlan = await planOutputs(db, client, cipher, options.file, declaredOutputs, sourceNames);
  for (const note of plan.notes) process.stderr.write(`note: ${note}\n`);
  const json = context.outputFormat() === 'json';
  const prune = options.prune === true;
  // As text, the plan comes first, so that an apply that fails halfway has said what it set out to do.
  if (!json) {
    printPlan(plan, prune);
    printOutputPlan(outputPlan, prune);
  }
  // Files and databases without outputs print what they printed before outputs existed.
  const hasOutputs = declaredOutputs.length > 0 || outputPlan.absent.length > 0;
  const described = { ...describePlan(plan, prune), ...(hasOutputs ? { outputs: describeOutputPlan(outputPlan, prune) } : {}) };
  if (options.dryRun) return printResult(context.outputFormat(), { ...described, dryRun: true, applied: null }, 'dry run: nothing changed');

  // Every key is checked before anything changes: one refused key applies nothing.
  const keysToCheck = [
    ...plan.creates.map(({ declared: source, apiKey }) => ({ source, apiKey })),
    ...plan.updates.filter((update) => update.apiKey !== undefined).map((update) => ({ source: update.declared, apiKey: update.apiKey! })),
  ];
  await forEachConcurrently(keysToCheck, PARALLEL_KEY_CHECKS, async ({ source, apiKey }) => {
    await checkApiKey(source.apiBaseUrl, source.organizationId, apiKey).catch((err: unknown) => {
      throw new OperatorError(`${options.file}: sources[${source.index}] (${source.name}): apiKey: ${describeCause(err)}`);
    });
  });

  const taskQueue = env.TEMPORAL_TASK_QUEUE;
  await forEachConcurrently(plan.creates, PARALLEL, async ({ declared: source, apiKey, webhooks }) => {
    const settings = {
      name: source.name,
      organizationId: source.organizationId,
      apiBaseUrl: source.apiBaseUrl,
      pollIntervalSeconds: source.pollIntervalSeconds,
      silenceWindowSeconds: source.silenceWindowSeconds,
      silenceAlertEnabled: source.silenceAlertEnabled,
      backfillDays: source.backfillDays,
      apiKeyExpiresAt: source.apiKeyExpiresAt,
    };
    await createSource(db, client, cipher, taskQueue, settings, apiKey, source.detectionPacks, async (created) => {
      await setWebhooks(db, cipher, created, webhooks);
      if (Object.keys(source.detectionGroupPeriods).length > 0) await saveDetectionSettings(db, created.id, { groupPeriods: source.detectionGroupPeriods });
      await setRetention(db, created, { retentionDays: source.retentionDays ?? undefined, legalHold: source.legalHold || undefined }, options.file);
    });
  });
  await forEachConcurrently(plan.updates, PARALLEL, (update) => applyUpdate(db, client, cipher, taskQueue, update, options));
  const removed = options.prune ? plan.absent : [];
  await forEachConcurrently(removed, PARALLEL, async (source) => {
    await removeSource(db, client, source, { purge: false, timeoutSeconds: DEFAULT_STOP_TIMEOUT_SECONDS });
  });
  await applyOutputs(db, client, cipher, taskQueue, options.file, outputPlan, prune);
  const applied = { created: plan.creates.length, updated: plan.updates.length, removed: removed.length, unchanged: plan.unchanged };
  const outputsApplied = { created: outputPlan.creates.length, updated: outputPlan.updates.length, removed: prune ? outputPlan.absent.length : 0, unchanged: outputPlan.unchanged };
  printResult(context.outputFormat(), { ...described, dryRun: false, applied: hasOutputs ? { ...applied, outputs: outputsApplied } : applied }, [
    `applied: ${applied.created} created, ${applied.updated} updated, ${applied.removed} removed, ${applied.unchanged} unchanged`,
    ...(hasOutputs
      ? [`outputs: ${outputsApplied.created} created, ${outputsApplied.updated} updated, ${outputsApplied.removed} removed, ${outputsApplied.unchanged} unchanged`]
      : []),
  ]);
}

async function readCurrentState(db: Database, client: Client): Promise<CurrentState> {
  const [sources, packs, destinations, groupPeriodsBySource, retention] = await Promise.all([
    listSources(db),
    listEnabledPacks(db),
    listSourceDestinations(db.pool),
    listGroupPeriods(db),
    listSourceRetention(db, new Date()),
  ]);
  const retentionBySource = new Map(retention.map((entry) => [entry.sourceId, entry]));
  const packsBySource = new Map<string, string[]>();
  for (const pack of packs) packsBySource.set(pack.sourceId, [...(packsBySource.get(pack.sourceId) ?? []), pack.packId].sort());
  const runningWorkflows = new Set<string>();
  await forEachConcurrently(
    sources.filter((source) => source.status !== 'removed'),
    PARALLEL,
    async (source) => {
      if ((await findWorkflow(client, source.name)).running) runningWorkflows.add(source.name);
    },
  );
  return { sources, packsBySource, groupPeriodsBySource, destinations, retentionBySource, runningWorkflows };
}

function printPlan(plan: SourcePlan, prune: boolean): void {
  for (const { declared: source } of plan.creates) {
    const alarm = source.silenceAlertEnabled ? `silence alert after ${formatDuration(source.silenceWindowSeconds)}` : 'no silence alert';
    const extras = [
      source.detectionPacks.length ? `packs ${source.detectionPacks.join(', ')}` : '',
      source.webhooks.length ? `${source.webhooks.map((hook) => hook.format).join(' and ')} destination` : '',
      source.retentionDays !== null ? `retention ${source.retentionDays} days` : '',
      source.legalHold ? 'legal hold' : '',
    ];
    printLine(`+ ${source.name}: create (organization ${source.organizationId}, every ${source.pollIntervalSeconds} s, ${alarm}${extras.filter(Boolean).map((extra) => `, ${extra}`).join('')})`);
  }
  for (const update of plan.updates) printLine(`~ ${update.current.name}: ${update.described.join('; ')}`);
  for (const source of plan.absent) printLine(`- ${source.name}: ${prune ? 'remove (its events stay)' : 'not in the file; `apply --prune` removes it'}`);
  if (plan.unchanged > 0) printLine(`= ${plan.unchanged} unchanged`);
}

function printOutputPlan(plan: OutputPlan, prune: boolean): void {
  for (const { declared, destination } of plan.creates) {
    printLine(`+ output ${declared.name}: create (${declared.kind}, ${declared.format}, ${declared.sources ? declared.sources.join(', ') : 'every source'} to ${destination.shown})`);
  }
  for (const update of plan.updates) printLine(`~ output ${update.current.name}: ${update.described.join('; ')}`);
  for (const output of plan.absent) printLine(`- output ${output.name}: ${prune ? 'remove (its events stay)' : 'not in the file; `apply --prune` removes it'}`);
  if (plan.unchanged > 0) printLine(`= ${plan.unchanged} outputs unchanged`);
}

function describeOutputPlan(plan: OutputPlan, prune: boolean) {
  return {
    create: plan.creates.map(({ declared }) => ({ name: declared.name, kind: declared.kind, format: declared.format, sources: declared.sources ?? 'all' })),
    update: plan.updates.map((update) => ({ name: update.current.name, changes: update.described })),
    absent: plan.absent.map((output) => ({ name: output.name, remove: prune })),
    unchanged: plan.unchanged,
  };
}

/** The plan as `-o json` prints it: the same facts as printPlan's lines. */
function describePlan(plan: SourcePlan, prune: boolean) {
  return {
    action: 'apply',
    create: plan.creates.map(({ declared: source }) => ({
      name: source.name,
      organizationId: source.organizationId,
      pollIntervalSeconds: source.pollIntervalSeconds,
      silenceWindowSeconds: source.silenceWindowSeconds,
      silenceAlertEnabled: source.silenceAlertEnabled,
      detectionPacks: source.detectionPacks,
      webhooks: source.webhooks.map((hook) => hook.format),
      retentionDays: source.retentionDays,
      legalHold: Boolean(source.legalHold),
    })),
    update: plan.updates.map((update) => ({ name: update.current.name, changes: update.described })),
    absent: plan.absent.map((source) => ({ name: source.name, remove: prune })),
    unchanged: plan.unchanged,
  };
}

/** Stored first where the CLI owns the value (key, destinations, packs); settings of a running source through its workflow. */
async function applyUpdate(db: Database, client: Client, cipher: CredentialCipher, taskQueue: string, update: SourceUpdate, options: { file: string }): Promise<void> {
  const source = update.current;
  if (update.apiKey !== undefined || update.apiKeyExpiresAt !== undefined || update.apiBaseUrl !== undefined) {
    await updateSource(db, source.id, {
      apiKeyCiphertext: update.apiKey !== undefined ? cipher.seal(update.apiKey, apiKeyContext(source.id)) : undefined,
      apiKeyExpiresAt: update.apiKeyExpiresAt,
      apiBaseUrl: update.apiBaseUrl,
    });
  }
  for (const pack of update.packsToEnable) await enablePack(db, source.id, pack);
  for (const pack of update.packsToDisable) await disablePack(db, source.id, pack);
  if (update.groupPeriods) await saveDetectionSettings(db, source.id, { groupPeriods: update.groupPeriods });
  await setWebhooks(db, cipher, source, update.webhooks);
  await setRetention(db, source, update, options.file);

  const handle = update.startWorkflow ? await startOrFind(client, source, taskQueue) : client.workflow.getHandle(sourceWorkflowId(source.name));
  try {
    if (update.pollIntervalSeconds !== undefined) await handle.executeUpdate(setIntervalUpdate, { args: [update.pollIntervalSeconds] });
    if (update.silence) await handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ ...update.silence, allowShortWindow: shortWindowsAllowed() }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new OperatorError(`${source.name}: the workflow refused the change: ${describeCause(err.cause ?? err)}`);
    throw err;
  }
  if (update.apiKey !== undefined) await handle.signal(keyRotatedSignal);
}

async function startOrFind(client: Client, source: SourceRecord, taskQueue: string) {
  try {
    return await startSourceWorkflow(client, source, taskQueue);
  } catch (err) {
    // Started meanwhile (by another apply, or a moment ago by `add`): that workflow is the one to talk to.
    if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') return (await findWorkflow(client, source.name)).handle;
    throw err;
  }
}

/** Retention is read by store maintenance only: written here directly, like packs and destinations. */
async function setRetention(db: Database, source: SourceRecord, change: Pick<SourceUpdate, 'retentionDays' | 'legalHold'>, file: string): Promise<void> {
  if (change.retentionDays !== undefined) await setSourceRetentionDays(db, source.id, change.retentionDays);
  const by = `apply -f ${path.basename(file)}`;
  if (change.legalHold) await placeLegalHold(db, source.id, by, change.legalHold.reason);
  else if (change.legalHold === false) await releaseLegalHold(db, source.id, by, `legalHold: false in ${path.basename(file)}`);
}

async function setWebhooks(db: Database, cipher: CredentialCipher, source: SourceRecord, changes: readonly WebhookChange[]): Promise<void> {
  for (const { format, declared } of changes) {
    const routing = declared && {
      kinds: declared.kinds,
      minSeverity: declared.minSeverity,
      sealedSigningSecret: declared.secret ? sealSigningSecret(cipher, declared.url, declared.secret) : null,
    };
    await setSourceDestination(db.pool, cipher, source.id, format, declared?.url ?? null, routing ?? {});
  }
}
