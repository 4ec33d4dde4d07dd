import { Command } from 'commander';
import { resumeSignal } from '../../contract/source-messages';
import { CliContext } from '../context';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printResult } from '../output';

export function register(program: Command, context: CliContext): void {
  program
    .command('resume')
    .description('resume a paused source, or retry one stopped by a rejected key')
    .argument('<name>', 'source name')
    .action(async (name: string) => {
      const source = await requireLiveSource(await context.database(), name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      await handle.signal(resumeSignal);
      printResult(context.outputFormat(), { action: 'resume', source: source.name }, `resumed ${source.name}`);
    });
}
