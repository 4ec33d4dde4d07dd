import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { formatDuration } from '../../contract/durations';
import { outputWorkflowId } from '../../contract/ids';
import { pauseOutputSignal, resumeOutputSignal } from '../../contract/output-messages';
import { newSigningSecret } from '../../alerts/destinations';
import { outputLag } from '../../store/output-positions';
import { findOutputByName, listOutputs, type OutputKind, type OutputRecord } from '../../store/outputs';
import { listSources } from '../../store/sources';
import { CliContext } from '../context';
import { createOutput, sourceIdsByName } from '../create-output';
import { EXIT } from '../exit-codes';
import { parseStopTimeout } from '../inputs';
import { parseBatching, parseLagAlert, parseOutputFormat, parseOutputKind, parseOutputName, parseOutputSigningSecret, parseOutputUrl } from '../output-settings';
import { formatTime, printFields, printJson, printLine, printResult, printTable } from '../output';
import { parseSecretVariable } from '../secret-variables';
import { readWebhookUrl } from '../webhook-url-input';
import { outputWorkflowRunning, removeOutput } from '../remove-output';
import { s3OutputFromFlags, type S3OutputFlags } from '../s3-output-input';
import { hecOutputFromFlags, type HecOutputFlags } from '../hec-output-input';

const MAX_REASON_LENGTH = 200;

interface AddOptions {
  kind: string;
  format: string;
  sources?: string;
  urlEnv?: string;
  urlFile?: string;
  urlStdin?: boolean;
  gzip?: boolean;
  sign?: boolean;
  signingSecretEnv?: string;
  batchEvents?: string;
  batchBytes?: string;
  batchAge?: string;
  lagAlert?: string;
}

type AddFlags = AddOptions & S3OutputFlags & HecOutputFlags;

export function register(program: Command, context: CliContext): void {
  const outputs = program.command('outputs').description('forward stored events to where security teams work: add, list, status, pause, resume, remove');
  outputs
    .command('add')
    .description('add an output: every stored event of its sources is forwarded, in insertion order, from the oldest')
    .argument('<name>', 'output name')
    .option('--kind <kind>', 'http, s3 or splunk_hec', 'http')
    .option('--format <format>', 'raw (the Atlassian event plus the p_ fields), ecs or ocsf', 'raw')
    .option('--sources <list>', 'only these sources, comma-separated (default: every source, those added later too)')
    .option('--url-env <var>', "read the receiver's URL from this environment variable (it is a secret)")
    .option('--url-file <path>', "read the receiver's URL from this file")
    .option('--url-stdin', "read the receiver's URL from stdin")
    .option('--gzip', 'gzip each POST (Content-Encoding: gzip)')
    .option('--sign', 'sign each POST (Standard Webhooks) with a new secret, printed once for the receiver')
    .option('--signing-secret-env <var>', 'sign with the whsec_ secret in this environment variable')
    .option('--batch-events <n>', 'at most this many events per batch (default 1000)')
    .option('--batch-bytes <n>', 'at most about this many bytes of events per batch (default 4194304)')
    .option('--batch-age <duration>', 'cut a smaller batch once its oldest event waited this long (default 5s)')
    .option('--lag-alert <duration>', 'open a forwarding alert when the output runs this far behind (default 1h)')
    .option('--bucket <name>', 's3: the bucket')
    .option('--prefix <prefix>', 's3: the key prefix, one per output (default none)')
    .option('--region <region>', 's3: the bucket\'s region (default us-east-1)')
    .option('--endpoint <url>', 's3: an S3-compatible server (default AWS S3)')
    .option('--path-style', 's3: path-style URLs, which most S3-compatible servers need')
    .option('--access-key-id-env <var>', 's3: read the access key id from this variable (default: the AWS credential chain)')
    .option('--secret-access-key-env <var>', 's3: read the secret access key from this variable')
    .option('--session-token-env <var>', 's3: read a session token from this variable')
    .option('--hec-url <url>', "splunk_hec: the collector's base URL, e.g. https://splunk.example.com:8088")
    .option('--token-env <var>', 'splunk_hec: read the HEC token from this variable (it is a secret)')
    .option('--sourcetype <name>', 'splunk_hec: the events\' sourcetype (default atlassian:audit)')
    .option('--index <name>', "splunk_hec: the index (default: the token's)")
    .option('--ack', 'splunk_hec: wait for indexer acknowledgement before the position moves')
    .option('--ack-timeout <seconds>', 'splunk_hec: send a batch again when its acks take longer (default 60)')
    .action((name: string, options: AddFlags) => add(context, name, options));
  outputs.command('list').description('list the outputs').action(() => list(context));
  outputs
    .command('status')
    .description('where an output stands in each source: position, lag, oldest undelivered event, last error (exits 3 failed, 4 paused, 5 not running)')
    .argument('[name]', 'output name (default: every output)')
    .action((name: string | undefined) => status(context, name));
  outputs
    .command('pause')
    .description('stop forwarding; events wait in PostgreSQL and resume picks up where it stopped')
    .argument('<name>', 'output name')
    .option('--reason <text>', 'why, shown in status')
    .action((name: string, options: { reason?: string }) => pause(context, name, options.reason));
  outputs
    .command('resume')
    .description('forward again, also after the destination refused a batch: that batch is sent again')
    .argument('<name>', 'output name')
    .action((name: string) => resume(context, name));
  outputs
    .command('remove')
    .description('stop the output and delete it with its positions; the events stay')
    .argument('<name>', 'output name')
    .option('--timeout <duration>', 'how long to wait for a graceful stop before terminating the workflow', '1m')
    .action((name: string, options: { timeout: string }) => remove(context, name, options.timeout));
}

/** What only one kind of output takes: given to another kind, a flag is refused rather than ignored. */
const FLAGS_OF_KIND: Record<OutputKind, (keyof AddFlags)[]> = {
  http: ['urlEnv', 'urlFile', 'urlStdin', 'gzip', 'sign', 'signingSecretEnv'],
  s3: ['bucket', 'prefix', 'region', 'endpoint', 'pathStyle', 'accessKeyIdEnv', 'secretAccessKeyEnv', 'sessionTokenEnv'],
  splunk_hec: ['hecUrl', 'tokenEnv', 'sourcetype', 'index', 'ack', 'ackTimeout'],
};

/** Where an output sends: its stored settings and secrets, how it is shown, and what `add` tells the operator once. */
interface Destination {
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  shown: string;
  details: Record<string, unknown>;
  toldOnce: string[];
}

async function add(context: CliContext, nameText: string, options: AddFlags): Promise<void> {
  const name = parseOutputName(nameText);
  const kind = parseOutputKind(options.kind);
  const format = parseOutputFormat(options.format);
  const batching = parseBatching({ events: options.batchEvents, bytes: options.batchBytes, age: options.batchAge });
  const lagAlertSeconds = parseLagAlert(options.lagAlert);
  for (const [other, flags] of Object.entries(FLAGS_OF_KIND)) {
    const foreign = other === kind ? undefined : flags.find((flag) => options[flag] !== undefined);
    if (foreign) throw new OperatorError(`--${foreign.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for ${other} outputs, not ${kind}`);
  }
  const destination = kind === 'http' ? await httpDestination(options) : kind === 's3' ? s3Destination(options) : hecDestination(options);
  const sourceNames = options.sources?.split(',').map((s) => s.trim()).filter(Boolean);
  if (sourceNames !== undefined && sourceNames.length === 0) throw new OperatorError('--sources names no source');

  const db = await context.database();
  const sourceIds = sourceNames ? await sourceIdsByName(db, sourceNames, '--sources') : [];
  const created = await createOutput(db, await context.temporal(), context.cipher(), context.environment().TEMPORAL_TASK_QUEUE, {
    name,
    kind,
    format,
    settings: { ...destination.settings, shownUrl: destination.shown },
    allSources: sourceNames === undefined,
    sourceIds,
    batching,
    lagAlertSeconds,
    secrets: destination.secrets,
  });
  printResult(
    context.outputFormat(),
    { action: 'outputs add', output: created.name, kind, format, destination: destination.shown, sources: sourceNames ?? 'all', ...destination.details, workflowId: outputWorkflowId(created.name) },
    [`added output ${created.name}: ${format} events of ${sourceNames ? sourceNames.join(', ') : 'every source'} to ${destination.shown}, from the oldest stored event`, ...destination.toldOnce],
  );
}

async function httpDestination(options: AddFlags): Promise<Destination> {
  if (options.sign && options.signingSecretEnv) throw new OperatorError('give --sign or --signing-secret-env, not both');
  const urlText = await readWebhookUrl(undefined, options);
  if (urlText === null) throw new OperatorError('an HTTP output needs its URL: --url-env, --url-file or --url-stdin');
  const { url, shownUrl } = parseOutputUrl(urlText);
  const signingSecret = options.sign
    ? newSigningSecret()
    : options.signingSecretEnv !== undefined
      ? parseOutputSigningSecret(readVariable(parseSecretVariable('--signing-secret-env', options.signingSecretEnv)), '--signing-secret-env')
      : undefined;
  return {
    settings: { gzip: options.gzip === true },
    secrets: { url, ...(signingSecret ? { signingSecret } : {}) },
    shown: shownUrl,
    details: { signed: signingSecret !== undefined, ...(options.sign ? { signingSecret } : {}) },
    toldOnce: options.sign ? [`signing secret, shown once, for the receiver to verify with: ${signingSecret}`] : [],
  };
}

function s3Destination(options: AddFlags): Destination {
  const { settings, secrets, shown } = s3OutputFromFlags(options);
  return { settings, secrets, shown, details: { keys: secrets.accessKeyId ? 'given' : 'AWS credential chain' }, toldOnce: [] };
}

function hecDestination(options: AddFlags): Destination {
  const { settings, secrets, shown } = hecOutputFromFlags(options);
  return { settings, secrets, shown, details: { ack: settings.ack }, toldOnce: [] };
}

function readVariable(name: string): string {
  const value = process.env[name];
  if (!value) throw new OperatorError(`${name} is not set`);
  return value;
}

async function list(context: CliContext): Promise<void> {
  const db = await context.database();
  const outputs = await listOutputs(db);
  const names = new Map((await listSources(db)).map((s) => [s.id, s.name]));
  const rows = outputs.map((o) => ({
    name: o.name,
    kind: o.kind,
    format: o.format,
    destination: String(o.settings.shownUrl ?? ''),
    sources: o.allSources ? 'all' : o.sourceIds.map((id) => names.get(id) ?? id),
    status: o.status,
    statusReason: o.statusReason,
  }));
  if (context.outputFormat() === 'json') return printJson(rows);
  if (rows.length === 0) return printLine('no outputs yet: add one with `atlassian-audit outputs add <name> --url-env AUDIT_SECRET_…`');
  printTable(
    ['NAME', 'KIND', 'FORMAT', 'DESTINATION', 'SOURCES', 'STATUS'],
    rows.map((r) => [r.name, r.kind, r.format, r.destination, Array.isArray(r.sources) ? r.sources.join(',') : r.sources, r.status + (r.statusReason ? ` (${r.statusReason})` : '')]),
  );
}

async function status(context: CliContext, name: string | undefined): Promise<void> {
  const db = await context.database();
  const outputs = name === undefined ? await listOutputs(db) : [await requireOutput(context, name)];
  const client = await context.temporal();
  const views = await Promise.all(
    outputs.map(async (output) => ({
      output: output.name,
      status: output.status,
      statusReason: output.statusReason,
      running: await outputWorkflowRunning(client, output.name),
      sources: (await outputLag(db, output.id)).map((lag) => ({
        source: lag.sourceName,
        deliveredSeq: lag.deliveredSeq,
        claimedThroughSeq: lag.claimedThroughSeq,
        eventsDelivered: lag.eventsDelivered,
        lagEvents: lag.pendingEvents,
        lagSeconds: lag.lagSeconds,
        oldestUndeliveredAgeSeconds: lag.oldestUndeliveredAgeSeconds,
        lastDeliveredAt: lag.deliveredAt?.toISOString() ?? null,
        lastError: lag.lastError,
        lastErrorAt: lag.lastErrorAt?.toISOString() ?? null,
      })),
    })),
  );
  if (context.outputFormat() === 'json') printJson(name === undefined ? views : views[0]);
  else if (views.length === 0) printLine('no outputs yet');
  else {
    for (const view of views) {
      printFields([
        ['output', view.output],
        ['status', `${view.status}${view.statusReason ? ` (${view.statusReason})` : ''}${view.running ? '' : '; its workflow is not running'}`],
      ]);
      printTable(
        ['SOURCE', 'DELIVERED SEQ', 'BEHIND', 'LAG', 'OLDEST UNDELIVERED', 'LAST DELIVERY', 'LAST ERROR'],
        view.sources.map((s) => [
          s.source,
          String(s.deliveredSeq),
          `${s.lagEvents} events`,
          formatDuration(s.lagSeconds),
          s.oldestUndeliveredAgeSeconds === null ? '-' : `${formatDuration(s.oldestUndeliveredAgeSeconds)} old`,
          formatTime(s.lastDeliveredAt),
          s.lastError ?? '-',
        ]),
      );
    }
  }
  // One output asked for: the exit code answers a probe, as `status` does for a source.
  if (name !== undefined) {
    const [view] = views;
    process.exitCode = !view.running ? EXIT.sourceNotRunning : view.status === 'failed' ? EXIT.sourceFailed : view.status === 'paused' ? EXIT.sourcePaused : EXIT.ok;
  }
}

async function requireOutput(context: CliContext, name: string): Promise<OutputRecord> {
  const output = await findOutputByName(await context.database(), name);
  if (!output) throw new OperatorError(`no output named "${name}": see atlassian-audit outputs list`);
  return output;
}

async function runningHandle(context: CliContext, output: OutputRecord) {
  const client = await context.temporal();
  if (!(await outputWorkflowRunning(client, output.name))) {
    throw new OperatorError(`the workflow of output ${output.name} (${outputWorkflowId(output.name)}) is not running: is a worker up?`);
  }
  return client.workflow.getHandle(outputWorkflowId(output.name));
}

async function pause(context: CliContext, name: string, reasonText: string | undefined): Promise<void> {
  const reason = reasonText?.trim() || undefined;
  if (reason && reason.length > MAX_REASON_LENGTH) throw new OperatorError(`the reason is longer than ${MAX_REASON_LENGTH} characters`);
  const output = await requireOutput(context, name);
  await (await runningHandle(context, output)).signal(pauseOutputSignal, reason);
  printResult(context.outputFormat(), { action: 'outputs pause', output: output.name, reason: reason ?? null }, `paused output ${output.name}${reason ? ` (${reason})` : ''}: a batch in flight is finished first`);
}

async function resume(context: CliContext, name: string): Promise<void> {
  const output = await requireOutput(context, name);
  await (await runningHandle(context, output)).signal(resumeOutputSignal);
  printResult(context.outputFormat(), { action: 'outputs resume', output: output.name, previousStatus: output.status }, `output ${output.name} forwards again`);
}

async function remove(context: CliContext, name: string, timeoutText: string): Promise<void> {
  const timeoutSeconds = parseStopTimeout(timeoutText);
  const output = await requireOutput(context, name);
  const stopped = await removeOutput(await context.database(), await context.temporal(), output, timeoutSeconds);
  printResult(context.outputFormat(), { action: 'outputs remove', output: output.name, workflow: stopped }, `removed output ${output.name} (its workflow ${stopped}); the events stay`);
}
