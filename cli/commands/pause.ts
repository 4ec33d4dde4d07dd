import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { pauseSignal } from '../../contract/source-messages';
import { CliContext } from '../context';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printResult } from '../output';

/** The reason lands in search attributes, history and the sources table: a sentence, not a document. */
const MAX_REASON_LENGTH = 200;

export function register(program: Command, context: CliContext): void {
  program
    .command('pause')
    .description('pause polling; the source keeps its checkpoint and resumes where it stopped')
    .argument('<name>', 'source name')
    .option('--reason <text>', 'why, shown in status and the Web UI')
    .action(async (name: string, options: { reason?: string }) => {
      const reason = options.reason?.trim() || undefined;
      if (reason && reason.length > MAX_REASON_LENGTH) throw new OperatorError(`the reason is longer than ${MAX_REASON_LENGTH} characters`);
      const source = await requireLiveSource(await context.database(), name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      await handle.signal(pauseSignal, reason);
      const text = `paused ${source.name}${reason ? ` (${reason})` : ''}: a page in flight is finished first`;
      printResult(context.outputFormat(), { action: 'pause', source: source.name, reason: reason ?? null }, text);
    });
}
