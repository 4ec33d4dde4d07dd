import { ApplicationFailure, Context } from '@temporalio/activity';
import { tellSourceWorkflow, wakeAlertDispatcher } from '../alerts/wake';
import { reportDestinationRefused, reportForwardingLag, resolveDestinationRefused, resolveForwardingLag } from '../alerts/forwarding-alert';
import type { ForwardRound, OutputStatusValue } from '../contract/output-workflow';
import { claimReadAhead, nextBatch, readAhead } from '../outputs/next-batch';
import { DestinationRefused, type Sink } from '../outputs/sink';
import { createSink } from '../outputs/sinks';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { advancePosition, outputLag, recordSendFailure, type SourceLag } from '../store/output-positions';
import { findOutputById, openOutputSecrets, setOutputStatus, sourcesOfOutput, type OutputRecord } from '../store/outputs';
import { noProductMetrics, type ProductMetrics } from '../observability/product-metrics';
import { heartbeatingEvery } from './heartbeating';
import { RoundsInProcess } from './rounds-in-process';

/** A round's work is bounded so that the workflow sees pause and stop between rounds. */
const MAX_BATCHES_PER_ROUND = 50;
export const MAX_ROUND_MS = 60_000;
/** Several times within forwardOutput's heartbeat timeout (10 s, workflows/output-workflow.ts): a late timer on a busy worker still makes it. */
const HEARTBEAT_EVERY_MS = 2_000;
/** Under this lag an output counts as caught up: a batch's age limit and the poll make a few seconds normal. */
const CAUGHT_UP_SECONDS = 60;
/**
 * A round that follows a filling source looks again this often without a wake: ingestion on another worker wakes the
 * workflow, not this round. As often as the waker wakes an output (activities/wake-outputs.ts).
 */
const FOLLOW_POLL_MS = 1_000;

export interface ForwardDependencies {
  db: Database;
  cipher: CredentialCipher;
  metrics?: ProductMetrics;
}

type SourceRef = { id: string; name: string; organizationId: string };

/**
 * Sends the output's ready batches, source after source, each claimed before its first send and acknowledged before
 * its position moves, and keeps the output's alerts in step with its lag. Returns counts and lags only. A transient
 * failure is thrown (the activity's retry policy backs off); a refusal pauses the output and alerts.
 */
export function createForwardOutput(deps: ForwardDependencies, rounds = new RoundsInProcess()) {
  const metrics = deps.metrics ?? noProductMetrics;
  return function forwardOutput({ outputId }: { outputId: string }): Promise<ForwardRound> {
    return heartbeatingEvery(HEARTBEAT_EVERY_MS, () => forwardRound(outputId));
  };

  async function forwardRound(outputId: string): Promise<ForwardRound> {
    const output = await findOutputById(deps.db, outputId);
    if (!output) return { status: 'removed', statusReason: null, forwarded: 0, batches: 0, more: false, nextDueInMs: null, backlogEvents: 0, lagSeconds: 0 };
    const before = await checkLag(deps.db, output, metrics);
    if (output.status !== 'active') return summary(output.status, output.statusReason, 0, 0, false, null, before);

    const sources = await sourcesOfOutput(deps.db, output.id);
    let sink: Sink;
    try {
      sink = createSink({ kind: output.kind, settings: output.settings, secrets: await openOutputSecrets(deps.db, deps.cipher, output.id) });
    } catch (err) {
      if (!(err instanceof DestinationRefused)) throw err;
      return refuse(deps.db, output, sources.filter((s) => pendingIn(before, s.id) > 0), err.message, before);
    }
    const { cancellationSignal } = Context.current();
    const startedAt = Date.now();
    let forwarded = 0;
    let batches = 0;
    let more = false;
    let nextDueInMs: number | null = null;
    let current: SourceRef | undefined;
    const overLimits = () => batches >= MAX_BATCHES_PER_ROUND || Date.now() - startedAt > MAX_ROUND_MS;
    const refusalResolved = new Set<string>();

    /** Sends the source's due batches within the round's limits: whether a batch sent was full, how long one filling waits. */
    const sendDueBatches = async (source: SourceRef): Promise<{ sentFull?: boolean; waitMs?: number }> => {
      let sentFull: boolean | undefined;
      let next = await nextBatch(deps.db, output.id, source.id, output);
      while ('claimed' in next) {
        const { claimed, events, records, full } = next;
        // Behind a full batch more events wait: they are read while this one is sent.
        const ahead = full ? readAhead(deps.db, source.id, claimed, output) : undefined;
        ahead?.catch(() => undefined);
        if (events.length > 0) {
          try {
            await sink.send({ outputId: output.id, outputName: output.name, source, firstSeq: claimed.afterSeq + 1, lastSeq: claimed.throughSeq, events, records }, cancellationSignal);
          } catch (err) {
            if (err instanceof DestinationRefused) throw err;
            await recordSendFailure(deps.db, output.id, source.id, describe(err));
            throw ApplicationFailure.retryable(`output ${output.name}: sending ${source.name}'s events failed: ${describe(err)}`, 'ForwardingFailed');
          }
          sentFull = Boolean(sentFull) || full;
        }
        // A range whose events all went (erased, or dropped by retention) moves on with nothing sent.
        await advancePosition(deps.db, output.id, source.id, claimed, events.length);
        forwarded += events.length;
        batches++;
        metrics.forOutput(output.name).forwarded(source.name, events.length);
        if (!refusalResolved.has(source.id)) {
          refusalResolved.add(source.id);
          if (await resolveDestinationRefused(deps.db.pool, source.id, output.name)) await alertsChanged(source.name);
        }
        if (overLimits()) {
          more = true;
          return { sentFull };
        }
        next =
          (ahead && (await claimReadAhead(deps.db, output.id, source.id, claimed.throughSeq, await ahead, output.batching))) ??
          (await nextBatch(deps.db, output.id, source.id, output));
      }
      return { sentFull, waitMs: 'waitMs' in next ? next.waitMs : undefined };
    };

    // While the batches sent come full, a source fills faster than they go (a backfill): the round stays to send each
    // next batch as it fills, rather than ending and having the next wake start a round of its own.
    let following = false;
    const wakes = rounds.enter(output.id);
    try {
      for (;;) {
        wakes.takeWake();
        nextDueInMs = null;
        let sentFull: boolean | undefined;
        for (const source of sources) {
          current = source;
          if (overLimits()) more = true;
          if (more) break;
          const sent = await sendDueBatches(source);
          if (sent.sentFull !== undefined) sentFull = Boolean(sentFull) || sent.sentFull;
          if (sent.waitMs !== undefined) nextDueInMs = Math.min(nextDueInMs ?? Infinity, sent.waitMs);
        }
        if (more) break;
        if (sentFull !== undefined) following = sentFull;
        // A wake that came during the pass may be for a source it had already looked at.
        if (wakes.takeWake()) continue;
        // Ended here, with no await before the round leaves: a wake after this goes to the workflow as a signal.
        if (!following || nextDueInMs === null) break;
        await wakes.wait(Math.min(nextDueInMs, FOLLOW_POLL_MS, MAX_ROUND_MS - (Date.now() - startedAt)), cancellationSignal);
        // Cancelled (the workflow ended, or Temporal gave up on this attempt): nothing more is claimed or sent.
        if (cancellationSignal.aborted) break;
      }
    } catch (err) {
      const refusal = err instanceof DestinationRefused ? err.message : undefined;
      if (refusal === undefined) throw err;
      return refuse(deps.db, output, current ? [current] : [], refusal, before);
    } finally {
      wakes.leave();
      await sink.close?.();
    }
    const after = forwarded > 0 ? await checkLag(deps.db, output, metrics) : before;
    return summary('active', null, forwarded, batches, more, nextDueInMs, after);
  }
}

/** The output stops on a refusal: paused with the reason, a forwarding alert per source that waits on it. */
async function refuse(db: Database, output: OutputRecord, sources: SourceRef[], reason: string, lag: SourceLag[]): Promise<ForwardRound> {
  const statusReason = `the destination refused: ${reason}`;
  await setOutputStatus(db, output.id, 'failed', statusReason);
  let opened = 0;
  for (const source of sources) {
    await recordSendFailure(db, output.id, source.id, reason);
    if (await reportDestinationRefused(db.pool, source, output.name, reason)) opened++;
  }
  if (opened > 0) await wakeAlertDispatcher();
  for (const source of sources) await tellSourceWorkflow(source.name);
  return summary('failed', statusReason, 0, 0, false, null, lag);
}

/** Reads the lag per source, records it, and opens or resolves each source's lag alert. */
async function checkLag(db: Database, output: OutputRecord, metrics: ProductMetrics): Promise<SourceLag[]> {
  const lag = await outputLag(db, output.id);
  const recorder = metrics.forOutput(output.name);
  let changed = 0;
  for (const source of lag) {
    recorder.lag(source.sourceName, source.pendingEvents, source.lagSeconds);
    const ref = { id: source.sourceId, name: source.sourceName };
    if (source.lagSeconds > output.lagAlertSeconds) {
      if (await reportForwardingLag(db.pool, ref, output.name, source.lagSeconds, source.pendingEvents)) changed++;
    } else if (source.lagSeconds < CAUGHT_UP_SECONDS) {
      if (await resolveForwardingLag(db.pool, source.sourceId, output.name)) changed++;
    }
  }
  if (changed > 0) await wakeAlertDispatcher();
  return lag;
}

async function alertsChanged(sourceName: string): Promise<void> {
  await wakeAlertDispatcher();
  await tellSourceWorkflow(sourceName);
}

function pendingIn(lag: SourceLag[], sourceId: string): number {
  return lag.find((s) => s.sourceId === sourceId)?.pendingEvents ?? 0;
}

function summary(status: OutputStatusValue, statusReason: string | null, forwarded: number, batches: number, more: boolean, nextDueInMs: number | null, lag: SourceLag[]): ForwardRound {
  return {
    status,
    statusReason,
    forwarded,
    batches,
    more,
    nextDueInMs,
    backlogEvents: lag.reduce((sum, s) => sum + s.pendingEvents, 0),
    lagSeconds: lag.reduce((max, s) => Math.max(max, s.lagSeconds), 0),
  };
}

/** One line for logs and the position's last error: sinks' errors say a status or a network code, never a URL. */
function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}

/** Pause and resume, as the output's workflow applies them: the one writer of an output's status. */
export function createOutputStateActivities(db: Database) {
  return {
    async setOutputState({ outputId, status, reason }: { outputId: string; status: OutputStatusValue; reason: string | null }): Promise<void> {
      await setOutputStatus(db, outputId, status, reason);
    },
  };
}
