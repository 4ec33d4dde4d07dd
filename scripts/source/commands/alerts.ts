import { Command } from 'commander';
import { listAlerts, summarizeDeliveries } from '../../../alerts/alert-queries';
import { OperatorError } from '../../../config/operator-error';
import { CliContext } from '../context';
import { requireSource } from '../lookup';
import { formatTime, printJson, printLine, printTable } from '../output';

interface AlertsOptions {
  source?: string;
  recent: string;
  json?: boolean;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('alerts')
    .description('list the open alerts and the recently resolved ones (silence, credentials, key expiry, detections) with their delivery')
    .option('--source <name>', 'only this source')
    .option('--recent <n>', 'how many resolved alerts to show besides the open ones', '20')
    .option('--json', 'print JSON instead of a table')
    .action((options: AlertsOptions) => alertsCommand(context, options));
}

async function alertsCommand(context: CliContext, options: AlertsOptions): Promise<void> {
  const recent = /^\d+$/.test(options.recent.trim()) ? Number(options.recent) : NaN;
  if (!Number.isInteger(recent) || recent > 10_000) throw new OperatorError(`--recent must be a whole number from 0 to 10000, got ${options.recent}`);
  const db = await context.database();
  const source = options.source !== undefined ? await requireSource(db, options.source) : undefined;
  const alerts = await listAlerts(db, { sourceId: source?.id, recent });
  if (options.json) return printJson(alerts);
  if (alerts.length === 0) return printLine(`no alerts${source ? ` for ${source.name}` : ''}`);
  printTable(
    ['ID', 'OPENED', 'SOURCE', 'KIND', 'SEVERITY', 'STATUS', 'DELIVERY', 'TITLE'],
    alerts.map((a) => [
      String(a.id),
      formatTime(a.openedAt),
      a.source,
      a.kind,
      a.severity,
      a.status === 'open' ? 'OPEN' : `resolved ${formatTime(a.resolvedAt)}`,
      summarizeDeliveries(a.deliveries),
      a.title,
    ]),
  );
}
