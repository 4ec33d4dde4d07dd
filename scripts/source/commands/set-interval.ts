import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Command } from 'commander';
import { OperatorError } from '../../../config/operator-error';
import { setIntervalUpdate } from '../../../contract/source-messages';
import { CliContext, describeCause } from '../context';
import { parseIntervalSeconds } from '../inputs';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printLine } from '../output';

export function register(program: Command, context: CliContext): void {
  program
    .command('set-interval')
    .description('change the seconds between polls; the current wait is recomputed at once')
    .argument('<name>', 'source name')
    .argument('<seconds>', 'seconds between polls')
    .action(async (name: string, secondsText: string) => {
      const seconds = parseIntervalSeconds(secondsText);
      const source = await requireLiveSource(await context.database(), name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      let previousSeconds: number;
      try {
        // An update, not a signal: the workflow validates, stores and applies it, and a refusal reaches the operator.
        ({ previousSeconds } = await handle.executeUpdate(setIntervalUpdate, { args: [seconds] }));
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new OperatorError(`the workflow refused the interval: ${describeCause(err.cause ?? err)}`);
        throw err;
      }
      printLine(`interval of ${source.name}: ${previousSeconds} s -> ${seconds} s`);
    });
}
