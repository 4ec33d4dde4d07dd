import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import { createCredentialCipher } from '../store/credentials';
import { workflowBundleOptions } from '../workers/workflow-bundle-options';
import { DAY_MS, insertBenchSource, openBenchStack, runBenchWorker } from './bench-environment';
import { quietLogger } from '../harness/test-stack';
import { sendMessagesUntilBackfilled } from '../harness/message-storm';

// Sources that backfill (pages run as local activities, back to back in one workflow task) while operators and the
// alert dispatcher send them updates and signals. Each trial backfills one source under a stream of messages, then
// replays the source's own history against the same workflow code. On replay core may resolve a page in another
// activation or workflow task than it did live; before handlers handed their work to the loop (HandedWork), that
// gave nondeterminism errors (TMPRL1100) that stopped sources, in 1 to 2 of every 4–6 trials here, and in the full
// chaos run. Prints how many of the trials' histories fail to replay and why; exits 1 when any does.
// Usage: npm run bench:replay-under-messages -- [--trials 6]

const EVENTS_PER_SOURCE = 6_000;

/** The number of histories that failed to replay. */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { trials: { type: 'string', default: '6' } } });
  const trials = Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1) throw new Error('--trials takes a positive whole number');
  // The worker's own lines (each failing task's warning among them) would bury the figures; each replay says why.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // Small, quick pages: a cycle ends every 50 pages, and its end signals the watchdog beside the handlers' commands.
  const stack = await openBenchStack('replay-under-messages', {
    seed: 53,
    orgs: Array.from({ length: trials }, () => ({})),
    maxPageSize: 10,
    faults: { latencyMs: 50 },
    history: { count: EVENTS_PER_SOURCE, spanMs: 5 * DAY_MS },
  });
  const cipher = createCredentialCipher(randomBytes(32));
  const taskQueue = 'replay-under-messages';
  const worker = await runBenchWorker(stack, { db: stack.db, cipher }, taskQueue);
  const workflowBundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietLogger });
  const failures: string[] = [];
  try {
    for (const [trial, org] of stack.simulator.orgs.entries()) {
      const source = await insertBenchSource(stack.db, cipher, `replay-${trial}`, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: stack.simulator.url }, { pollIntervalSeconds: 10 });
      const handle = await startSourceWorkflow(stack.client, source, taskQueue);
      await sendMessagesUntilBackfilled(handle).catch((err: Error) => {
        throw new Error(`trial ${trial + 1}: ${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`);
      });
      const history = await handle.fetchHistory();
      const outcome = await Worker.runReplayHistory({ workflowBundle }, history, handle.workflowId).then(
        () => 'replays',
        (err: Error) => err.message.match(/Nondeterminism error: [^"]*/)?.[0] ?? err.message,
      );
      if (outcome !== 'replays') failures.push(outcome);
      console.log(`trial ${trial + 1}: ${history.events?.length ?? 0} history events, ${outcome}`);
      await handle.terminate('trial done');
    }
    console.log(`${failures.length} of ${trials} histories failed to replay`);
    return failures.length;
  } finally {
    // A failed stop would hide the trial's own error: say it and go on closing.
    await worker.stop().catch((err: Error) => console.error(`worker stop: ${err.message}`));
    await stack.close();
  }
}

// Exit explicitly with the verdict: an exit code set with process.exitCode came out 0 after the stack's shutdown.
main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
