import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { SourceWorkflowInput } from '../contract/source-workflow';
import { SourceAlerting } from './source-alerting';
import { SourceController } from './source-controller';

/** Continue-as-new after this many cycles even if Temporal does not suggest it yet: history stays small. */
export const MAX_CYCLES_PER_RUN = 200;

/**
 * The long-lived workflow of one log source: ingest pages until caught up, publish progress, wait out the interval on
 * a timer that signals can cut short, and continue-as-new with its small state. Event bodies never pass through here.
 */
export async function sourceWorkflow(input: SourceWorkflowInput): Promise<void> {
  const source = new SourceController(input);
  const alerting = new SourceAlerting(input, source.state, () => source.publish());
  await source.load();
  await alerting.start();

  for (let cycle = 1; !source.stopRequested; cycle++) {
    if (source.state.paused) {
      await source.waitWhilePaused();
      continue;
    }
    if (source.state.failureReason) {
      await source.waitForRetry();
      continue;
    }
    const outcome = await source.runCycle();
    if (outcome.kind === 'removed') {
      await alerting.stopping('The source was removed.');
      await condition(allHandlersFinished);
      return;
    }
    await alerting.afterCycle(outcome);
    source.publish();

    if (source.stopRequested) break;
    if (cycle >= (input.maxCyclesPerRun ?? MAX_CYCLES_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof sourceWorkflow>({ ...input, carried: source.state });
    }
    if (outcome.kind === 'caught-up' || outcome.kind === 'error') await source.waitForNextPoll();
  }
  source.markStopping();
  await alerting.stopping('The source was stopped for removal.');
  await condition(allHandlersFinished);
}
