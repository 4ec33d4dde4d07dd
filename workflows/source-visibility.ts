import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { AlertOpen, EventsIngested, LastEventTime, OrganizationId, SourceName, SourceStatus } from '../contract/search-attributes';
import type { CarriedState, RecordedSourceStatus, SourcePhase, SourceStatusView, SourceWorkflowInput } from '../contract/source-workflow';
import { ChangeOnlyPublisher } from './change-only-publisher';

/** Bookkeeping against our own PostgreSQL: retried until it works, since nothing else can proceed without it. */
const { recordSourceStatus } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * What the world sees of a source: its phase, the status in its PostgreSQL row, the search attributes, memo and
 * current details of the Web UI, and the status query's answer.
 */
export class SourceVisibility {
  phase: SourcePhase = 'starting';
  /** What the source row says: as the previous run left it when this one starts quietly, else unknown until stored. */
  private recordedStatus: RecordedSourceStatus | undefined;
  private readonly publisher = new ChangeOnlyPublisher();

  /**
   * `nextPollAt` is the deadline of the latest wait between cycles, if one began; `startsQuietly`, whether this run
   * trusts the status its previous run carried over (CONTINUED_RUNS_START_QUIETLY).
   */
  constructor(
    private readonly input: SourceWorkflowInput,
    private readonly state: CarriedState,
    private readonly nextPollAt: () => number | undefined,
    startsQuietly: boolean,
  ) {
    this.recordedStatus = startsQuietly ? state.recordedStatus : undefined;
  }

  /** Stored first, shown second: whoever sees the phase in a query can rely on the source row saying the same. */
  async setPhase(next: SourcePhase): Promise<void> {
    const status = next === 'paused' ? 'paused' : next === 'failed' ? 'failed' : 'active';
    if (status !== this.recordedStatus) {
      const reason = status === 'failed' ? (this.state.failureReason ?? null) : (this.state.pauseReason ?? null);
      await recordSourceStatus({ sourceId: this.input.sourceId, status, reason });
      this.recordedStatus = status;
      this.state.recordedStatus = status;
    }
    this.phase = next;
    this.publish();
  }

  /** Search attributes, memo and current details: what the Web UI shows of the source. */
  publish(): void {
    const { input, state } = this;
    const attributes: SearchAttributeUpdatePair[] = [
      { key: OrganizationId, value: input.organizationId },
      { key: SourceName, value: input.sourceName },
      // Waiting and polling alternate every cycle: the attribute says polling for both, so an idle poll writes nothing.
      { key: SourceStatus, value: this.phase === 'waiting' ? 'polling' : this.phase },
      { key: EventsIngested, value: state.eventsIngested },
      { key: AlertOpen, value: state.alerting?.alertOpen ?? false },
    ];
    if (state.lastEventTime) attributes.push({ key: LastEventTime, value: new Date(state.lastEventTime) });
    this.publisher.attributes(attributes);
    this.publisher.memo({ pollIntervalSeconds: state.pollIntervalSeconds, paused: state.paused });
    this.showDetails();
  }

  showDetails(): void {
    const { input, state } = this;
    const lines = [`**${input.sourceName}**: ${this.describePhase()}`, `${state.eventsIngested} events ingested in ${state.pagesFetched} pages, ${state.errors} errors`];
    if (state.lastEventTime) lines.push(`newest event: ${state.lastEventTime}`);
    if (state.lastPoll) lines.push(`last poll: ${state.lastPoll.at} (${state.lastPoll.outcome}${state.lastPoll.message ? `: ${state.lastPoll.message}` : ''})`);
    setCurrentDetails(lines.join('\n\n'));
  }

  statusView(): SourceStatusView {
    const { input, state, phase } = this;
    const nextPollAt = this.nextPollAt();
    return {
      sourceName: input.sourceName,
      organizationId: input.organizationId,
      phase,
      paused: state.paused,
      pauseReason: state.pauseReason,
      failureReason: state.failureReason,
      pollIntervalSeconds: state.pollIntervalSeconds,
      nextPollAt: phase === 'waiting' && nextPollAt !== undefined ? new Date(nextPollAt).toISOString() : undefined,
      lastPoll: state.lastPoll,
      lastEventTime: state.lastEventTime,
      eventsIngested: state.eventsIngested,
      pagesFetched: state.pagesFetched,
      errors: state.errors,
      backfill: { completed: state.backfillCompleted, percent: state.backfillPercent },
    };
  }

  private describePhase(): string {
    const { state } = this;
    const nextPollAt = this.nextPollAt();
    switch (this.phase) {
      case 'backfilling':
        return `backfilling, ${state.backfillPercent}% of the window`;
      case 'waiting':
        return `waiting, next poll at ${nextPollAt !== undefined ? new Date(nextPollAt).toISOString() : 'soon'} (every ${state.pollIntervalSeconds} s)`;
      case 'paused':
        return `paused${state.pauseReason ? ` (${state.pauseReason})` : ''}`;
      case 'failed':
        return `stopped: ${state.failureReason}. Rotate the key or resume the source to try again`;
      default:
        return this.phase;
    }
  }
}
