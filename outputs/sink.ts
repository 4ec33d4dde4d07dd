import type { StoredEvent } from './stored-event';

/** What a sink reads of a batch's event beside its record: its place, its id, and its times (object keys, HEC's time). */
export type BatchEvent = Pick<StoredEvent, 'seq' | 'eventId' | 'eventTime' | 'parsedAt'>;

/** The formats an output can write; each turns a stored event into one JSON record. */
export type OutputFormat = 'raw' | 'ecs' | 'ocsf';

/**
 * One batch of one source for one output: the events with seq in [firstSeq, lastSeq], in seq order, already formatted.
 * The range is fixed before the first attempt and kept until the destination acknowledges, so a retried batch is the
 * same batch: same events, same records, same object keys.
 */
export interface OutgoingBatch {
  outputId: string;
  outputName: string;
  source: { id: string; name: string; organizationId: string };
  firstSeq: number;
  lastSeq: number;
  /** Parallel to `records`: each record's event, for keys, times and ids. */
  events: BatchEvent[];
  /** Each event's record as JSON text, one line (formatEvent). */
  records: string[];
}

/** A destination. `send` resolves once the destination acknowledged the whole batch, and throws otherwise. */
export interface Sink {
  send(batch: OutgoingBatch, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A refusal that will never succeed as sent (a bad token, a missing bucket, a payload too large): the output pauses and
 * alerts instead of retrying. Anything else a sink throws is transient and retried with back-off.
 */
export class DestinationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefused';
  }
}
