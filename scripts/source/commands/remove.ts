import { WorkflowNotFoundError } from '@temporalio/client';
import { Command } from 'commander';
import { deleteSource, updateSourceStatus } from '../../../store/sources';
import { OperatorError } from '../../../config/operator-error';
import { stopSignal } from '../../../contract/source-messages';
import { CliContext, describeCause } from '../context';
import { findWorkflow, requireSource, SourceWorkflowHandle } from '../lookup';
import { printLine } from '../output';

const DEFAULT_STOP_TIMEOUT_SECONDS = 60;

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
    .option('--timeout <seconds>', 'how long to wait for a graceful stop before terminating the workflow', String(DEFAULT_STOP_TIMEOUT_SECONDS))
    .action(async (name: string, options: RemoveOptions) => {
      const timeoutSeconds = /^\d+$/.test(options.timeout) ? Number(options.timeout) : NaN;
      if (!(timeoutSeconds >= 1 && timeoutSeconds <= 3600)) throw new OperatorError(`--timeout must be 1 to 3600 seconds, got ${options.timeout}`);
      const db = await context.database();
      const source = await requireSource(db, name);
      if (source.status === 'removed' && !options.purge) {
        throw new OperatorError(`source "${source.name}" is already removed; \`remove ${source.name} --purge\` deletes it with its events`);
      }

      const workflow = await findWorkflow(await context.temporal(), source.name);
      const stopped = workflow.running ? await stopWorkflow(workflow.handle, timeoutSeconds) : 'was not running';

      if (options.purge) {
        await deleteSource(db, source.id);
        printLine(`purged ${source.name}: workflow ${stopped}; the source, its checkpoint and its events are deleted`);
      } else {
        await updateSourceStatus(db, source.id, 'removed', 'removed by an operator');
        printLine(`removed ${source.name}: workflow ${stopped}; its events stay in PostgreSQL (\`remove ${source.name} --purge\` deletes them)`);
      }
    });
}

/**
 * A graceful stop lets the page in flight commit with its checkpoint. Terminating is the fallback for a workflow
 * that cannot finish, for example because no worker is running: nothing is lost, the page is simply not fetched.
 */
async function stopWorkflow(handle: SourceWorkflowHandle, timeoutSeconds: number): Promise<string> {
  await handle.signal(stopSignal);
  const finished = await Promise.race([
    handle.result().then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutSeconds * 1000).unref()),
  ]);
  if (finished) return 'stopped';
  try {
    await handle.terminate(`no graceful stop within ${timeoutSeconds} s of an operator's remove`);
  } catch (err) {
    // It completed between the deadline and the terminate request.
    if (err instanceof WorkflowNotFoundError) return 'stopped';
    throw new OperatorError(`the workflow did not stop within ${timeoutSeconds} s and could not be terminated (${describeCause(err)}): nothing removed`);
  }
  return `terminated after ${timeoutSeconds} s without a graceful stop`;
}
