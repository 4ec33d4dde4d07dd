import type { Database } from '../store/database';
import { claimRange, lastSequencedSeq, pendingBatchState, readPosition, type ClaimedRange } from '../store/output-positions';
import type { OutputBatching } from '../store/outputs';
import { readRecords, type SizedRecord } from './read-records';
import type { BatchEvent, OutputFormat } from './sink';

type Store = Pick<Database, 'query' | 'withTransaction'>;

/**
 * A claimed range and its events with their records in the output's format, read once. `full` says it was cut by a
 * limit, so more events likely wait behind it.
 */
export interface ClaimedBatch {
  claimed: ClaimedRange;
  events: BatchEvent[];
  records: string[];
  full: boolean;
}

/** What the forwarder reads for: the output's format and batch limits. */
export interface BatchShape {
  format: OutputFormat;
  batching: OutputBatching;
}

/** What the output sends next in a source: a claimed batch, a wait while a small batch is still young, or nothing. */
export type NextBatch = ClaimedBatch | { waitMs: number } | { nothing: true };

/**
 * The output's next batch in the source: the range claimed before, if any, so that a retry sends the very same range;
 * otherwise, once a batch is due (pendingBatchState), the events after the position up to the limits, claimed before
 * they are returned and so before anything is sent.
 */
export async function nextBatch(db: Store, outputId: string, sourceId: string, { format, batching }: BatchShape): Promise<NextBatch> {
  const position = await readPosition(db, outputId, sourceId);
  if (position.claimedThroughSeq !== null) {
    const claimed = { afterSeq: position.deliveredSeq, throughSeq: position.claimedThroughSeq };
    const read = await readRecords(db, sourceId, format, claimed);
    return { claimed, ...batchOf(read), full: read.length >= batching.maxEvents };
  }
  const state = await pendingBatchState(db, sourceId, position.deliveredSeq, batching);
  if (!('due' in state)) return state;
  const cut = cutToLimits(await readRecords(db, sourceId, format, { afterSeq: position.deliveredSeq, limit: batching.maxEvents }), batching);
  // Every pending event went (erased, or dropped by retention) between the two reads.
  if (cut.events.length === 0) return { nothing: true };
  const claimed = { afterSeq: position.deliveredSeq, throughSeq: cut.events[cut.events.length - 1].seq };
  if (await claimRange(db, outputId, sourceId, claimed)) return { claimed, ...cut };
  // Another attempt of the forwarder claimed or advanced meanwhile: what it wrote is the range.
  return nextBatch(db, outputId, sourceId, { format, batching });
}

/**
 * Reads the events behind a full batch while that batch is still being sent, so that the next one is ready the moment
 * the destination acknowledges. Nothing is claimed yet: that waits for the position to move (claimReadAhead).
 *
 * Only when a full batch's worth of events may be there: behind a batch of a source that fills as it is forwarded (a
 * backfill) is mostly part of a batch, which would be read here only to be found not due and read again once it is,
 * and the read is the costliest statement forwarding asks of PostgreSQL.
 */
export async function readAhead(db: Store, sourceId: string, after: ClaimedRange, { format, batching }: BatchShape): Promise<SizedRecord[]> {
  if ((await lastSequencedSeq(db, sourceId)) - after.throughSeq < batching.maxEvents) return [];
  return readRecords(db, sourceId, format, { afterSeq: after.throughSeq, limit: batching.maxEvents });
}

/**
 * Claims what readAhead read as the next batch when it is a full one, the position having moved to its start. Anything
 * else (a batch under the limits, whose age decides, or a claim lost to another attempt) is left to nextBatch.
 */
export async function claimReadAhead(db: Store, outputId: string, sourceId: string, afterSeq: number, ahead: SizedRecord[], batching: OutputBatching): Promise<ClaimedBatch | undefined> {
  const cut = cutToLimits(ahead, batching);
  if (!cut.full) return undefined;
  const claimed = { afterSeq, throughSeq: cut.events[cut.events.length - 1].seq };
  return (await claimRange(db, outputId, sourceId, claimed)) ? { claimed, ...cut } : undefined;
}

/**
 * Events in seq order, cut where their bytes pass maxBytes (a single event larger than that goes alone). Full when a
 * limit cut it: maxEvents events read, or bytes left behind.
 */
function cutToLimits(pending: SizedRecord[], batching: OutputBatching): { events: BatchEvent[]; records: string[]; full: boolean } {
  let bytes = 0;
  for (const [i, { bytes: size }] of pending.entries()) {
    bytes += size;
    if (bytes > batching.maxBytes && i > 0) return { ...batchOf(pending.slice(0, i)), full: true };
  }
  return { ...batchOf(pending), full: pending.length >= batching.maxEvents || bytes > batching.maxBytes };
}

function batchOf(read: SizedRecord[]): { events: BatchEvent[]; records: string[] } {
  return { events: read.map((r) => r.event), records: read.map((r) => r.record) };
}
