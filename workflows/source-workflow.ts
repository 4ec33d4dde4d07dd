import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { createActivities } from '../activities';
import { AUTH_REJECTED, BAD_REQUEST, ORG_NOT_FOUND, SOURCE_REMOVED } from './failure-types';
import { pollIntervalProblem } from './limits';
import { keyRotatedSignal, pauseSignal, pollNowSignal, resumeSignal, setIntervalSignal, setIntervalUpdate, statusQuery, stopSignal } from './messages';
import { AlertOpen, EventsIngested, LastEventTime, OrganizationId, SourceName, SourceStatus } from './search-attributes';
import { attachSourceAlerting } from './source-alerting';
import type { CarriedState, PageSummary, SourcePhase, SourceStatusView, SourceWorkflowInput } from './types';

type Activities = ReturnType<typeof createActivities>;

/**
 * One page per activity, run as a local activity: a page costs no round trip through the Temporal server, which
 * would otherwise cost as much as the page itself during a backfill. That is safe because a page is idempotent: if
 * the worker dies, the pages since its last workflow task are simply run again from the checkpoint in PostgreSQL.
 * Transient API trouble is retried a few times; then the cycle counts an error and waits.
 */
const { ingestPage } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
});

/** Bookkeeping against our own PostgreSQL: retried until it works, since nothing else can proceed without it. */
const { loadSourceState, recordSourceStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Failures that retrying cannot fix: the source stops until an operator rotates the key or resumes it. */
const CONFIGURATION_FAILURES = new Set([AUTH_REJECTED, ORG_NOT_FOUND, BAD_REQUEST]);

/** A cycle ends after this many pages even when more wait, so state is published and history checked regularly. */
export const MAX_PAGES_PER_CYCLE = 50;
/** Continue-as-new after this many cycles even if Temporal does not suggest it yet: history stays small. */
export const MAX_CYCLES_PER_RUN = 200;

/** Placeholder values a fresh start shows until it has read the source's stored state. */
const NOT_YET_LOADED: CarriedState = {
  paused: false,
  pollIntervalSeconds: 0,
  pollNowRequested: false,
  retryRequested: false,
  eventsIngested: 0,
  pagesFetched: 0,
  errors: 0,
  lastEventTime: null,
  backfillCompleted: false,
  backfillPercent: 0,
};

type CycleOutcome = { kind: 'caught-up' } | { kind: 'more-pages' } | { kind: 'error' } | { kind: 'rejected'; reason: string; failureType: string } | { kind: 'removed' };

/**
 * The long-lived workflow of one log source: ingest pages until caught up, publish progress, wait out the interval on
 * a timer that signals can cut short, and continue-as-new with its small state. Event bodies never pass through here.
 */
export async function sourceWorkflow(input: SourceWorkflowInput): Promise<void> {
  // Handlers are registered before the first await so that no query fails and no signal waits. Until a fresh start
  // has read its stored state, what signals change is also kept aside and applied on top of what was read.
  const state: CarriedState = input.carried ?? { ...NOT_YET_LOADED };
  const earlyChanges: Partial<CarriedState> | undefined = input.carried ? undefined : {};
  const change = (patch: Partial<CarriedState>) => {
    Object.assign(state, patch);
    if (earlyChanges) Object.assign(earlyChanges, patch);
  };
  let phase: SourcePhase = 'starting';
  let nextPollAt: number | undefined;
  let intervalChanged = false;
  let stopRequested = false;

  setHandler(pauseSignal, (reason?: string) => change({ paused: true, pauseReason: reason }));
  setHandler(resumeSignal, () => change({ paused: false, pauseReason: undefined, retryRequested: true }));
  setHandler(pollNowSignal, () => change({ pollNowRequested: true }));
  setHandler(keyRotatedSignal, () => change({ retryRequested: true }));
  setHandler(stopSignal, () => {
    stopRequested = true;
  });
  const changeInterval = (seconds: number) => {
    const previousSeconds = state.pollIntervalSeconds;
    change({ pollIntervalSeconds: seconds });
    intervalChanged = true;
    return { previousSeconds, seconds };
  };
  // A signal cannot be rejected, so an out-of-range value is ignored there; the update tells its caller why.
  setHandler(setIntervalSignal, (seconds: number) => {
    if (!pollIntervalProblem(seconds)) changeInterval(seconds);
  });
  setHandler(setIntervalUpdate, changeInterval, {
    validator: (seconds: number) => {
      const problem = pollIntervalProblem(seconds);
      if (problem) throw new Error(problem);
    },
  });
  setHandler(statusQuery, (): SourceStatusView => ({
    sourceName: input.sourceName,
    organizationId: input.organizationId,
    phase,
    paused: state.paused,
    pauseReason: state.pauseReason,
    failureReason: state.failureReason,
    pollIntervalSeconds: state.pollIntervalSeconds,
    nextPollAt: phase === 'waiting' && nextPollAt ? new Date(nextPollAt).toISOString() : undefined,
    lastPoll: state.lastPoll,
    lastEventTime: state.lastEventTime,
    eventsIngested: state.eventsIngested,
    pagesFetched: state.pagesFetched,
    errors: state.errors,
    backfill: { completed: state.backfillCompleted, percent: state.backfillPercent },
  }));
  const alerting = attachSourceAlerting(input, state, publish);

  let recordedStatus: string | undefined;
  /** Stored first, shown second: whoever sees the phase in a query can rely on the source row saying the same. */
  async function setPhase(next: SourcePhase): Promise<void> {
    const status = next === 'paused' ? 'paused' : next === 'failed' ? 'failed' : 'active';
    if (status !== recordedStatus) {
      await recordSourceStatus({ sourceId: input.sourceId, status, reason: status === 'failed' ? state.failureReason ?? null : state.pauseReason ?? null });
      recordedStatus = status;
    }
    phase = next;
    publish();
  }

  function publish(): void {
    const attributes: SearchAttributeUpdatePair[] = [
      { key: OrganizationId, value: input.organizationId },
      { key: SourceName, value: input.sourceName },
      { key: SourceStatus, value: phase },
      { key: EventsIngested, value: state.eventsIngested },
      { key: AlertOpen, value: state.alerting?.alertOpen ?? false },
    ];
    if (state.lastEventTime) attributes.push({ key: LastEventTime, value: new Date(state.lastEventTime) });
    upsertSearchAttributes(attributes);
    upsertMemo({ pollIntervalSeconds: state.pollIntervalSeconds, paused: state.paused });
    showDetails();
  }

  function showDetails(): void {
    const lines = [`**${input.sourceName}**: ${describePhase()}`, `${state.eventsIngested} events ingested in ${state.pagesFetched} pages, ${state.errors} errors`];
    if (state.lastEventTime) lines.push(`newest event: ${state.lastEventTime}`);
    if (state.lastPoll) lines.push(`last poll: ${state.lastPoll.at} (${state.lastPoll.outcome}${state.lastPoll.message ? `: ${state.lastPoll.message}` : ''})`);
    setCurrentDetails(lines.join('\n\n'));
  }

  function describePhase(): string {
    switch (phase) {
      case 'backfilling':
        return `backfilling, ${state.backfillPercent}% of the window`;
      case 'waiting':
        return `waiting, next poll at ${nextPollAt ? new Date(nextPollAt).toISOString() : 'soon'} (every ${state.pollIntervalSeconds} s)`;
      case 'paused':
        return `paused${state.pauseReason ? ` (${state.pauseReason})` : ''}`;
      case 'failed':
        return `stopped: ${state.failureReason}. Rotate the key or resume the source to try again`;
      default:
        return phase;
    }
  }

  let insertedThisCycle = 0;
  async function runCycle(): Promise<CycleOutcome> {
    insertedThisCycle = 0;
    for (let page = 1; page <= MAX_PAGES_PER_CYCLE; page++) {
      phase = state.backfillCompleted ? 'polling' : 'backfilling';
      let summary: PageSummary;
      try {
        summary = await ingestPage.executeWithOptions(
          { summary: state.backfillCompleted ? `poll page ${page}` : `backfill page ${state.pagesFetched + 1} (${state.backfillPercent}%)` },
          [{ sourceId: input.sourceId }],
        );
      } catch (err) {
        // A local activity's failure may arrive unwrapped, a regular activity's inside an ActivityFailure.
        const failure = err instanceof ActivityFailure ? err.cause : err;
        const message = failure instanceof Error ? failure.message : String(err);
        if (failure instanceof ApplicationFailure && failure.type === SOURCE_REMOVED) return { kind: 'removed' };
        if (failure instanceof ApplicationFailure && failure.type && CONFIGURATION_FAILURES.has(failure.type)) {
          state.lastPoll = { at: new Date().toISOString(), outcome: 'error', fetched: 0, inserted: 0, message };
          return { kind: 'rejected', reason: message, failureType: failure.type };
        }
        state.errors++;
        state.lastPoll = { at: new Date().toISOString(), outcome: 'error', fetched: 0, inserted: 0, message };
        return { kind: 'error' };
      }
      insertedThisCycle += summary.inserted;
      state.eventsIngested = summary.eventsIngested;
      state.pagesFetched = summary.pagesFetched;
      state.lastEventTime = summary.newestEventTime;
      state.backfillCompleted = summary.backfillCompleted;
      state.backfillPercent = summary.backfillPercent;
      state.lastPoll = { at: new Date().toISOString(), outcome: 'ok', fetched: summary.fetched, inserted: summary.inserted };
      showDetails();
      if (!summary.hasMore) return { kind: 'caught-up' };
      if (state.paused || stopRequested) break;
    }
    return { kind: 'more-pages' };
  }

  /** The updatable timer: the interval may change, and poll-now or pause may cut the wait short. */
  async function waitForNextPoll(): Promise<void> {
    const waitStartedAt = Date.now();
    for (;;) {
      nextPollAt = waitStartedAt + state.pollIntervalSeconds * 1000;
      const remaining = nextPollAt - Date.now();
      if (remaining <= 0) return;
      intervalChanged = false;
      await setPhase('waiting');
      const interrupted = await condition(() => intervalChanged || state.pollNowRequested || state.paused || stopRequested, remaining, {
        summary: `next poll in ${Math.round(remaining / 1000)} s`,
      });
      if (!interrupted || state.pollNowRequested || state.paused || stopRequested) return;
    }
  }

  if (earlyChanges) Object.assign(state, await loadSourceState(input.sourceId), earlyChanges);
  await alerting.start();

  for (let cycle = 1; !stopRequested; cycle++) {
    if (state.paused) {
      await setPhase('paused');
      await condition(() => !state.paused || stopRequested);
      continue;
    }
    if (state.failureReason) {
      await setPhase('failed');
      await condition(() => state.retryRequested || stopRequested);
      if (state.retryRequested) state.failureReason = undefined;
      continue;
    }
    // Cleared before the cycle, not after a failure: a key rotated while the failing page was in flight still counts.
    state.retryRequested = false;
    state.pollNowRequested = false;
    await setPhase(state.backfillCompleted ? 'polling' : 'backfilling');
    const outcome = await runCycle();
    if (outcome.kind === 'removed') return alerting.stopping('The source was removed.');
    if (outcome.kind === 'rejected') state.failureReason = outcome.reason;
    await alerting.afterCycle(outcome, insertedThisCycle);
    publish();

    if (stopRequested) break;
    if (cycle >= (input.maxCyclesPerRun ?? MAX_CYCLES_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof sourceWorkflow>({ ...input, carried: state });
    }
    if (outcome.kind === 'caught-up' || outcome.kind === 'error') await waitForNextPoll();
  }
  phase = 'stopping';
  publish();
  await alerting.stopping('The source was stopped for removal.');
  await condition(allHandlersFinished);
}
