import { Command } from 'commander';
import { pollNowSignal } from '../../contract/source-messages';
import { CliContext } from '../context';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printResult } from '../output';

export function register(program: Command, context: CliContext): void {
  program
    .command('poll-now')
    .description('cut the current wait short and poll at once')
    .argument('<name>', 'source name')
    .action(async (name: string) => {
      const source = await requireLiveSource(await context.database(), name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      await handle.signal(pollNowSignal);
      const paused = source.status === 'paused';
      const text = `asked ${source.name} to poll now${paused ? ' (it is paused: resume it first)' : ''}`;
      printResult(context.outputFormat(), { action: 'poll-now', source: source.name, paused }, text);
    });
}
