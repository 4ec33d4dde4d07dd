import { Command } from 'commander';
import { OperatorError, printable } from '../../config/operator-error';
import { listQuarantined, type QuarantinedEvent } from '../../store/quarantine';
import { CliContext, describeCause } from '../context';
import { requireSource } from '../lookup';
import { formatTime, printJson, printLine, printResult, printTable } from '../output';
import { reingestQuarantined, type ReingestOutcome } from '../reingest-quarantined';
import { wakeOutputsOfSources } from '../wake-outputs';
import { wakeDispatcherOf } from '../../alerts/wake';

/** An event id is shown whole in JSON only: a table row stays one line. */
const SHOWN_ID_LENGTH = 40;

interface ListOptions {
  source?: string;
  raw?: boolean;
  all?: boolean;
}

export function register(program: Command, context: CliContext): void {
  const quarantine = program
    .command('quarantine')
    .description('the events held back because they could not be stored as sent, and their re-ingestion once a fix is deployed');
  quarantine
    .command('list', { isDefault: true })
    .description('the held events: id, source, event id, reason, when (their text only with --raw: it holds e-mail and IP addresses)')
    .option('--source <name>', 'only this source')
    .option('--raw', 'also print each event exactly as the API sent it')
    .option('--all', 'also the events already re-ingested')
    .action((options: ListOptions) => listCommand(context, options));
  quarantine
    .command('reingest')
    .description("run the current code's rules again on held events: what now stores is stored once, what still fails stays held with its new reason")
    .argument('[ids...]', 'held event ids (see `quarantine`)')
    .option('--source <name>', 'every held event of this source')
    .action((ids: string[], options: { source?: string }) => reingestCommand(context, ids, options));
}

async function listCommand(context: CliContext, options: ListOptions): Promise<void> {
  const db = await context.database();
  const source = options.source !== undefined ? await requireSource(db, options.source) : undefined;
  const held = await listQuarantined(db, { sourceId: source?.id, includeReingested: options.all === true, withRaw: options.raw === true });
  if (context.outputFormat() === 'json') return printJson(held);
  if (held.length === 0) return printLine(`no held events${source ? ` for ${source.name}` : ''}`);
  printTable(
    ['ID', 'QUARANTINED', 'SOURCE', 'EVENT ID', 'REASON', 'DETAIL'],
    held.map((event) => [
      String(event.id),
      formatTime(event.quarantinedAt),
      event.source,
      shownEventId(event),
      event.reingestedAt ? `${event.reason} (re-ingested ${formatTime(event.reingestedAt)})` : event.reason,
      printable(event.detail),
    ]),
  );
  for (const event of held) if (event.raw !== undefined) printLine(`${event.id}: ${printable(event.raw)}`);
}

async function reingestCommand(context: CliContext, idTexts: string[], options: { source?: string }): Promise<void> {
  if ((idTexts.length > 0) === (options.source !== undefined)) throw new OperatorError('say which held events: their ids, or --source NAME');
  const db = await context.database();
  const ids = options.source !== undefined
    ? (await listQuarantined(db, { sourceId: (await requireSource(db, options.source)).id })).map((event) => event.id)
    : idTexts.map(parseHeldId);
  if (ids.length === 0) return printResult(context.outputFormat(), { reingested: [] }, `no held events for ${options.source}`);
  const { outcomes, sourcesWithNewEvents, alertsChanged } = await reingestQuarantined(db, ids);
  const missing = outcomes.filter((o) => o.outcome === 'not-held').map((o) => o.id);
  // Printed before a refusal, which follows on stderr: what was stored is stored either way.
  if (missing.length < outcomes.length) printResult(context.outputFormat(), { reingested: outcomes }, outcomes.map(describeOutcome));
  if (sourcesWithNewEvents.length > 0 || alertsChanged > 0) await wakeWorkflows(context, sourcesWithNewEvents, alertsChanged > 0);
  if (missing.length > 0) throw new OperatorError(`not held (unknown, or re-ingested already): ${missing.join(', ')}; \`quarantine\` lists the held events`);
}

/**
 * The outputs forward the stored events now instead of at their idle timer, and the alert dispatcher sends the notices
 * of the alerts that changed now instead of at its next sweep; the events and alerts are stored either way.
 */
async function wakeWorkflows(context: CliContext, sourceIds: string[], alertsChanged: boolean): Promise<void> {
  const taskQueue = context.environment().TEMPORAL_TASK_QUEUE;
  try {
    await wakeOutputsOfSources(await context.database(), () => context.temporal(), taskQueue, sourceIds);
    if (alertsChanged) await wakeDispatcherOf((await context.temporal()).workflow, taskQueue);
  } catch (err) {
    process.stderr.write(`note: could not wake the outputs and the alert dispatcher (${describeCause(err)}); they forward the events and send the notices at their next round\n`);
  }
}

function describeOutcome(o: ReingestOutcome): string {
  switch (o.outcome) {
    case 'stored':
      return `${o.id}: stored (${o.source}, event ${printable(o.eventId.slice(0, SHOWN_ID_LENGTH))})`;
    case 'held':
      return `${o.id}: still held (${o.source}): ${o.reason}: ${printable(o.detail)}`;
    case 'not-held':
      return `${o.id}: not held`;
  }
}

function parseHeldId(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) throw new OperatorError(`a held event id is a number (see \`quarantine\`), got "${printable(text.slice(0, 40))}"`);
  return Number(text);
}

function shownEventId(event: QuarantinedEvent): string {
  if (event.eventId === null) return '-';
  return printable(event.eventId.length > SHOWN_ID_LENGTH ? `${event.eventId.slice(0, SHOWN_ID_LENGTH)}…` : event.eventId);
}
