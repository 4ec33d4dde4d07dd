import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { setIntervalUpdate } from '../../contract/source-messages';
import { CliContext, describeCause } from '../context';
import { parseIntervalSeconds } from '../inputs';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printResult } from '../output';

export function register(program: Command, context: CliContext): void {
  program
    .command('set-interval')
    .description('change the time between polls; the current wait is recomputed at once')
    .argument('<name>', 'source name')
    .argument('<duration>', '10s to 24h: 90s, 5m, 1h or seconds')
    .action(async (name: string, durationText: string) => {
      const seconds = parseIntervalSeconds(durationText);
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
      const change = { action: 'set-interval', source: source.name, pollIntervalSeconds: { previous: previousSeconds, current: seconds } };
      printResult(context.outputFormat(), change, `interval of ${source.name}: ${previousSeconds} s -> ${seconds} s`);
    });
}
