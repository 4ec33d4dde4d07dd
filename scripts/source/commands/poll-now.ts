import { Command } from 'commander';
import { pollNowSignal } from '../../../contract/source-messages';
import { CliContext } from '../context';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printLine } from '../output';

export function register(program: Command, context: CliContext): void {
  program
    .command('poll-now')
    .description('cut the current wait short and poll at once')
    .argument('<name>', 'source name')
    .action(async (name: string) => {
      const source = await requireLiveSource(await context.database(), name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      await handle.signal(pollNowSignal);
      printLine(`asked ${source.name} to poll now${source.status === 'paused' ? ' (it is paused: resume it first)' : ''}`);
    });
}
