import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { formatDuration } from '../../contract/durations';
import { CliContext } from '../context';
import { requireSource } from '../lookup';
import { parseStopTimeout } from '../inputs';
import { printResult } from '../output';
import { DEFAULT_STOP_TIMEOUT_SECONDS, removeSource } from '../remove-source';

interface RemoveOptions {
  purge?: boolean;
  timeout: string;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('remove')
    .description('stop a source gracefully and mark it removed (its events stay), or delete it with its events')
    .argument('<name>', 'source name')
    .option('--purge', 'also delete the source, its checkpoint and all its events')
    .option('--timeout <duration>', 'how long to wait for a graceful stop before terminating the workflow: 1s to 1h', formatDuration(DEFAULT_STOP_TIMEOUT_SECONDS))
    .action(async (name: string, options: RemoveOptions) => {
      const timeoutSeconds = parseStopTimeout(options.timeout);
      const db = await context.database();
      const source = await requireSource(db, name);
      if (source.status === 'removed' && !options.purge) {
        throw new OperatorError(`source "${source.name}" is already removed; \`remove ${source.name} --purge\` deletes it with its events`);
      }

      const stopped = await removeSource(db, await context.temporal(), source, { purge: options.purge === true, timeoutSeconds });
      const removed = { action: options.purge ? 'purge' : 'remove', source: source.name, workflow: stopped };
      printResult(
        context.outputFormat(),
        removed,
        options.purge
          ? `purged ${source.name}: workflow ${stopped}; the source, its checkpoint and its events are deleted`
          : `removed ${source.name}: workflow ${stopped}; its events stay in PostgreSQL (\`remove ${source.name} --purge\` deletes them)`,
      );
    });
}
