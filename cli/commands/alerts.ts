import { Command } from 'commander';
import os from 'node:os';
import { acknowledgeAlert, AlertNotOpenError, resolveAlertsByHand, type AlertRef } from '../../alerts/alert-lifecycle';
import { listAlerts, summarizeDeliveries } from '../../alerts/alert-queries';
import { ALERT_KINDS, type AlertKind } from '../../alerts/alert-store';
import { wakeDispatcherOf } from '../../alerts/wake';
import { OperatorError } from '../../config/operator-error';
import { detectionPacks } from '../../detections/registry';
import { CliContext, describeCause } from '../context';
import { requireSource } from '../lookup';
import { formatTime, printJson, printLine, printResult, printTable } from '../output';

/** Reasons and notes land in notices and the alerts table: a sentence, not a document. */
const MAX_TEXT_LENGTH = 500;

interface ListOptions {
  source?: string;
  recent: string;
}

interface ResolveOptions {
  reason: string;
  source?: string;
  kind?: string;
  rule?: string;
  by?: string;
}

export function register(program: Command, context: CliContext): void {
  const alerts = program.command('alerts').description('list, acknowledge and resolve alerts (silence, credentials, key expiry, detections, quarantine)');
  alerts
    .command('list', { isDefault: true })
    .description('the open alerts and the recently resolved ones, with their delivery')
    .option('--source <name>', 'only this source')
    .option('--recent <n>', 'how many resolved alerts to show besides the open ones', '20')
    .action((options: ListOptions) => listCommand(context, options));
  alerts
    .command('ack')
    .description('acknowledge an open alert: it stays open, and the list shows who is on it')
    .argument('<id>', 'alert id (see `alerts`)')
    .option('--note <text>', 'why, or what is being done')
    .option('--by <name>', 'who acknowledges (default: your user name)')
    .action((id: string, options: { note?: string; by?: string }) => ackCommand(context, id, options));
  alerts
    .command('resolve')
    .description('resolve an alert by id, or every open alert of a source, kind or detection rule; each sends one resolved notice')
    .argument('[id]', 'alert id (see `alerts`)')
    .requiredOption('--reason <text>', 'why it is resolved: sent with the resolved notice')
    .option('--source <name>', 'every open alert of this source')
    .option('--kind <kind>', `every open alert of this kind: ${ALERT_KINDS.join(', ')}`)
    .option('--rule <id>', 'every open detection alert of this rule (see `packs list`)')
    .option('--by <name>', 'who resolves (default: your user name)')
    .action((id: string | undefined, options: ResolveOptions) => resolveCommand(context, id, options));
}

async function listCommand(context: CliContext, options: ListOptions): Promise<void> {
  const recent = /^\d+$/.test(options.recent.trim()) ? Number(options.recent) : NaN;
  if (!Number.isInteger(recent) || recent > 10_000) throw new OperatorError(`--recent must be a whole number from 0 to 10000, got ${options.recent}`);
  const db = await context.database();
  const source = options.source !== undefined ? await requireSource(db, options.source) : undefined;
  const alerts = await listAlerts(db, { sourceId: source?.id, recent });
  if (context.outputFormat() === 'json') return printJson(alerts);
  if (alerts.length === 0) return printLine(`no alerts${source ? ` for ${source.name}` : ''}`);
  printTable(
    ['ID', 'OPENED', 'SOURCE', 'KIND', 'SEVERITY', 'STATUS', 'DELIVERY', 'DETECTIONS', 'TITLE'],
    alerts.map((a) => [
      String(a.id),
      formatTime(a.openedAt),
      a.source,
      a.kind,
      a.severity,
      a.status === 'resolved' ? `resolved ${formatTime(a.resolvedAt)}` : a.acknowledgedBy ? `OPEN, ack by ${a.acknowledgedBy}` : 'OPEN',
      summarizeDeliveries(a.deliveries),
      a.group ? `${a.group.detections}, events ${formatTime(a.group.firstEventAt)} to ${formatTime(a.group.lastEventAt)}` : '',
      a.title,
    ]),
  );
}

async function ackCommand(context: CliContext, idText: string, options: { note?: string; by?: string }): Promise<void> {
  const alertId = parseAlertId(idText);
  const note = parseText('--note', options.note);
  const by = parseText('--by', options.by) ?? os.userInfo().username;
  try {
    const alert = await acknowledgeAlert(await context.database(), alertId, { by, note: note ?? null });
    printResult(context.outputFormat(), { action: 'ack', alert, by, note: note ?? null }, `acknowledged ${describeAlert(alert)}`);
  } catch (err) {
    if (err instanceof AlertNotOpenError) throw new OperatorError(err.message);
    throw err;
  }
}

async function resolveCommand(context: CliContext, idText: string | undefined, options: ResolveOptions): Promise<void> {
  const alertId = idText !== undefined ? parseAlertId(idText) : undefined;
  const reason = parseText('--reason', options.reason);
  if (!reason) throw new OperatorError('--reason must say why the alert is resolved');
  const by = parseText('--by', options.by) ?? os.userInfo().username;
  const kind = options.kind !== undefined ? parseKind(options.kind) : undefined;
  const ruleId = options.rule !== undefined ? parseRule(options.rule) : undefined;
  if (alertId === undefined && options.source === undefined && kind === undefined && ruleId === undefined) {
    throw new OperatorError('say which alerts: an alert id, or --source, --kind or --rule');
  }
  const db = await context.database();
  const source = options.source !== undefined ? await requireSource(db, options.source) : undefined;
  const { resolved, refused } = await resolveAlertsByHand(db, { alertId, sourceId: source?.id, kind, ruleId }, { reason, by });
  if (resolved.length === 0 && refused.length === 0) throw new OperatorError(alertId !== undefined ? `alert ${alertId} is not open` : 'no open alert matches');
  // Printed before a refusal, which follows on stderr: what was resolved is resolved either way.
  printResult(context.outputFormat(), { action: 'resolve', resolved, refused, by, reason }, resolved.map((alert) => `resolved ${describeAlert(alert)}`));
  if (resolved.length > 0) await deliverNow(context);
  if (refused.length > 0) {
    throw new OperatorError(`not resolved, its cause persists: ${refused.map((alert) => `${describeAlert(alert)} (${alert.why})`).join('; ')}`);
  }
}

/** The notice goes out now, and the sources' AlertOpen follows at once, instead of at the dispatcher's next sweep. */
async function deliverNow(context: CliContext): Promise<void> {
  try {
    await wakeDispatcherOf((await context.temporal()).workflow, context.environment().TEMPORAL_TASK_QUEUE);
  } catch (err) {
    process.stderr.write(`note: could not reach the alert dispatcher (${describeCause(err)}); its next sweep sends the notice\n`);
  }
}

function describeAlert(alert: AlertRef): string {
  return `alert ${alert.id} (${alert.kind}, ${alert.sourceName}): ${alert.title}`;
}

function parseAlertId(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) throw new OperatorError(`alert id must be a number (see \`alerts\`), got "${text}"`);
  return Number(text);
}

function parseKind(text: string): AlertKind {
  const kind = ALERT_KINDS.find((k) => k === text.trim().toLowerCase());
  if (!kind) throw new OperatorError(`--kind must be one of ${ALERT_KINDS.join(', ')}, got "${text}"`);
  return kind;
}

function parseRule(text: string): string {
  const known = detectionPacks().flatMap((pack) => pack.rules.map((rule) => rule.id));
  if (!known.includes(text)) throw new OperatorError(`no detection rule "${text}" (see \`packs list\`)`);
  return text;
}

function parseText(flag: string, text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  if (trimmed && trimmed.length > MAX_TEXT_LENGTH) throw new OperatorError(`${flag} is longer than ${MAX_TEXT_LENGTH} characters`);
  return trimmed || undefined;
}
