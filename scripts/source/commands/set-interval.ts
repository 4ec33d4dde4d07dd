import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Command } from 'commander';
import { updateSource } from '../../../activities/store/sources';
import { OperatorError } from '../../../config/operator-error';
import { setIntervalUpdate } from '../../../workflows/messages';
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
      const db = await context.database();
      const source = await requireLiveSource(db, name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      let previousSeconds: number;
      try {
        // An update, not a signal: the workflow's validator can refuse, and the refusal reaches the operator.
        ({ previousSeconds } = await handle.executeUpdate(setIntervalUpdate, { args: [seconds] }));
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new OperatorError(`the workflow refused the interval: ${describeCause(err.cause ?? err)}`);
        throw err;
      }
      // Stored after the workflow accepted it, so a workflow started later from PostgreSQL polls at the same pace.
      await updateSource(db, source.id, { pollIntervalSeconds: seconds });
      printLine(`interval of ${source.name}: ${previousSeconds} s -> ${seconds} s`);
    });
}
