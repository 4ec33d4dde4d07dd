import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { listDetections } from '../../detections/store';
import { CliContext } from '../context';
import { parseSourceName } from '../inputs';
import { requireSource } from '../lookup';
import { formatTime, printJson, printLine, printTable } from '../output';

interface DetectionsOptions {
  source?: string;
  rule?: string;
  limit: string;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('detections')
    .description('list the detections raised by the enabled packs, newest first')
    .option('--source <name>', 'only this source')
    .option('--rule <id>', 'only this rule')
    .option('--limit <n>', 'at most this many', '50')
    .action((options: DetectionsOptions) => detectionsCommand(context, options));
}

async function detectionsCommand(context: CliContext, options: DetectionsOptions): Promise<void> {
  const sourceName = options.source !== undefined ? parseSourceName(options.source) : undefined;
  const limit = /^\d+$/.test(options.limit.trim()) ? Number(options.limit) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new OperatorError(`--limit must be a whole number from 1 to 10000, got ${options.limit}`);
  const db = await context.database();
  const source = sourceName !== undefined ? await requireSource(db, sourceName) : undefined;
  const detections = await listDetections(db, { sourceId: source?.id, ruleId: options.rule, limit });
  if (context.outputFormat() === 'json') return printJson(detections);
  if (detections.length === 0) return printLine('no detections yet: `atlassian-audit packs list` shows the packs and where they are enabled');
  printTable(
    ['DETECTED', 'EVENT TIME', 'SOURCE', 'SEVERITY', 'RULE', 'TITLE'],
    detections.map((d) => [formatTime(d.detectedAt), formatTime(d.eventTime), d.sourceName, d.severity, d.ruleId, d.title]),
  );
}
