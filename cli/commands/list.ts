import { Command } from 'commander';
import { loadCheckpoint } from '../../store/checkpoints';
import { listSources } from '../../store/sources';
import { CliContext } from '../context';
import { formatTime, printJson, printLine, printTable } from '../output';

export function register(program: Command, context: CliContext): void {
  program
    .command('list')
    .description('list the log sources with their progress, as PostgreSQL records it')
    .action(() => listCommand(context));
}

async function listCommand(context: CliContext): Promise<void> {
  const db = await context.database();
  // Operators run a handful of sources: one checkpoint read each keeps the SQL in the store modules.
  const sources = await listSources(db);
  const rows = await Promise.all(
    sources.map(async (source) => {
      const checkpoint = await loadCheckpoint(db, source.id);
      return {
        name: source.name,
        organizationId: source.organizationId,
        status: source.status,
        statusReason: source.statusReason,
        pollIntervalSeconds: source.pollIntervalSeconds,
        eventsIngested: checkpoint.eventsIngested,
        newestEventTime: checkpoint.newestEventTime?.toISOString() ?? null,
        lastPolledAt: checkpoint.lastPolledAt?.toISOString() ?? null,
      };
    }),
  );
  if (context.outputFormat() === 'json') return printJson(rows);
  if (rows.length === 0) return printLine('no sources yet: add one with `atlassian-audit add <name> --org-id <uuid>`');
  printTable(
    ['NAME', 'ORG', 'STATUS', 'INTERVAL', 'EVENTS', 'NEWEST EVENT', 'LAST POLL'],
    rows.map((row) => [
      row.name,
      row.organizationId,
      row.status,
      `${row.pollIntervalSeconds}s`,
      String(row.eventsIngested),
      formatTime(row.newestEventTime),
      formatTime(row.lastPolledAt),
    ]),
  );
}
