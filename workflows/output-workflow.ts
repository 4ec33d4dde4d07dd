import { ActivityFailure, allHandlersFinished, condition, continueAsNew, patched, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { outputStatusQuery, pauseOutputSignal, resumeOutputSignal, stopOutputSignal, wakeOutputSignal, type OutputWorkflowView } from '../contract/output-messages';
import type { ForwardRound, OutputStatusValue, OutputWorkflowInput } from '../contract/output-workflow';
import { OutputBacklogEvents, OutputLagSeconds, OutputName, OutputStatus } from '../contract/search-attributes';
import { ChangeOnlyPublisher } from './change-only-publisher';
import { OUTPUT_MESSAGES_BEFORE_NEW_RUN } from './patches';

/**
 * A send that keeps failing is retried with back-off a few times, then the workflow waits on its own timer, so pause
 * and stop are heard within minutes even while the destination is down. Nothing is lost meanwhile: the claimed batch
 * and the backlog wait in PostgreSQL.
 */
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 } as const;
const { setOutputState } = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', heartbeatTimeout: '2 minutes', retry });
/**
 * A round starts batches for at most a minute, and its last batch may then wait for Splunk's acknowledgements as long as
 * the output allows (up to 10 minutes): the round's timeout leaves room for both, so a slow indexer is waited for rather
 * than sent the same batch again every few minutes, never getting through.
 */
export const FORWARD_ROUND_TIMEOUT = '15 minutes';
/**
 * A round heartbeats every 2 s whatever it awaits, a long send or an ack included. So a heartbeat missing for 10 s means
 * its worker died, and the claimed batch is sent again from another worker within seconds rather than minutes. Options
 * are not replayed: a new value reaches running outputs with their next round, and their histories replay unchanged.
 */
const { forwardOutput } = proxyActivities<Activities>({ startToCloseTimeout: FORWARD_ROUND_TIMEOUT, heartbeatTimeout: '10 seconds', retry });

/** An idle output wakes this rarely on its own: new events wake it by signal, so the timer only bounds a lost signal. */
export const IDLE_WAIT_MS = 5 * 60_000;
/** After a round's retries ran out: the destination is down, and it is tried again this much later. */
export const RETRY_WAIT_MS = 60_000;
export const MAX_OUTPUT_ROUNDS_PER_RUN = 500;

/**
 * One output's forwarding loop, over every source it takes. One workflow per output, not per output and source: the
 * destination, its outage and its pause are the output's, a source added later joins without a workflow of its own,
 * and ingestion wakes one workflow per output. Rounds are bounded, so a busy source cannot hold back the others for
 * long. History holds counts and lags only.
 */
export async function outputWorkflow(input: OutputWorkflowInput): Promise<void> {
  const view: OutputWorkflowView = {
    outputName: input.outputName,
    status: 'active',
    statusReason: null,
    backlogEvents: 0,
    lagSeconds: 0,
    forwardedThisRun: 0,
    lastRoundAt: null,
    lastError: null,
  };
  let woken = false;
  let stopping = false;
  let requested: { status: OutputStatusValue; reason: string | null } | undefined;
  setHandler(wakeOutputSignal, () => {
    woken = true;
  });
  setHandler(pauseOutputSignal, (reason?: string) => {
    requested = { status: 'paused', reason: reason ?? null };
  });
  setHandler(resumeOutputSignal, () => {
    requested = { status: 'active', reason: null };
  });
  setHandler(stopOutputSignal, () => {
    stopping = true;
  });
  setHandler(outputStatusQuery, () => view);
  const publisher = new ChangeOnlyPublisher();

  for (let round = 1; ; round++) {
    woken = false;
    if (requested) {
      const change = requested;
      requested = undefined;
      await setOutputState({ outputId: input.outputId, status: change.status, reason: change.reason });
    }
    if (stopping) break;
    let result: ForwardRound | undefined;
    try {
      result = await forwardOutput({ outputId: input.outputId });
      view.lastError = null;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      view.lastError = err.cause?.message ?? err.message;
    }
    view.lastRoundAt = new Date().toISOString();
    if (result) {
      if (result.status === 'removed') break;
      Object.assign(view, { status: result.status, statusReason: result.statusReason, backlogEvents: result.backlogEvents, lagSeconds: result.lagSeconds });
      view.forwardedThisRun += result.forwarded;
    }
    publisher.attributes([
      { key: OutputName, value: input.outputName },
      { key: OutputStatus, value: view.status },
      { key: OutputBacklogEvents, value: view.backlogEvents },
      { key: OutputLagSeconds, value: view.lagSeconds },
    ]);
    setCurrentDetails(describe(view));

    const runIsLong = round >= (input.maxRoundsPerRun ?? MAX_OUTPUT_ROUNDS_PER_RUN) || workflowInfo().continueAsNewSuggested;
    // The new run would start without a pause, resume or stop that came during this round: the loop applies it first.
    const messageWaits = requested !== undefined || stopping;
    if (runIsLong && !(messageWaits && patched(OUTPUT_MESSAGES_BEFORE_NEW_RUN))) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof outputWorkflow>(input);
    }
    if (result?.more && result.status === 'active' && !requested && !stopping) continue;
    const wait = !result ? RETRY_WAIT_MS : result.status === 'active' ? Math.min(result.nextDueInMs ?? IDLE_WAIT_MS, IDLE_WAIT_MS) : IDLE_WAIT_MS;
    // A wake-up only matters to an output that forwards, and not while its destination is down: it would hammer it.
    const heedsWake = result !== undefined && result.status === 'active';
    await condition(() => (heedsWake && woken) || requested !== undefined || stopping, Math.max(wait, 1));
  }
  await condition(allHandlersFinished);
}

function describe(view: OutputWorkflowView): string {
  const state = view.status === 'active' ? 'forwarding' : `${view.status}${view.statusReason ? `: ${view.statusReason}` : ''}`;
  const error = view.lastError ? `; last round failed: ${view.lastError}` : '';
  return `${state}; ${view.backlogEvents} events behind, lag ${view.lagSeconds} s${error}`;
}
