import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { readBodyPrefix } from '../config/bounded-body';
import { environmentPolicy, guardedDispatcher, outboundRefusalIn, type OutboundPolicy } from '../config/outbound-guard';
import { DestinationRefused, type OutgoingBatch, type Sink } from './sink';
import { judgeReply, MAX_REPLY_BYTES, readReply, type HecReply } from './splunk-hec-replies';
import type { SplunkHecSettings } from './splunk-hec-settings';
import { describeFetchError } from '../config/fetch-error';

// Splunk's HTTP Event Collector, at least once: every record goes out with its event id as an indexed field, so a
// search can drop what a retried batch sent twice. With indexer acknowledgement on, `send` resolves only once the
// indexers said every request of the batch was indexed; a 200 alone means only that HEC parsed it.

const gzip = promisify(gzipCallback);

export const REQUEST_TIMEOUT_MS = 30_000;
/** Ack queries start this far apart and double up to ACK_POLL_MAX_MS: an indexer takes seconds, not milliseconds. */
const ACK_POLL_FIRST_MS = 200;
const ACK_POLL_MAX_MS = 2_000;
/** Ack ids asked about in one query, so that its reply stays within MAX_REPLY_BYTES. */
const ACK_IDS_PER_QUERY = 200;
/** Printable ASCII: anything else would make fetch throw an error that quotes the header, token and all. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,1024}$/;

export interface SplunkHecSinkOptions {
  settings: SplunkHecSettings;
  /** The HEC token, already opened from where it is kept: it goes into the Authorization header and nowhere else. */
  token: string;
  /** Which non-public addresses the collector may be at; by default what OUTBOUND_ALLOWED_NETWORKS allows. */
  outbound?: OutboundPolicy;
  requestTimeoutMs?: number;
}

/** A failure that another try may get past (busy, down, not yet acknowledged): the batch is sent again, whole. */
export class SplunkHecUnavailable extends Error {
  override name = 'SplunkHecUnavailable';
}

/**
 * The channel of an output's requests: a GUID, as HEC asks, the same on every worker and after every restart, so an
 * output's ack ids all live on one channel and no channel is opened per attempt.
 */
export function hecChannelFor(outputId: string): string {
  const hex = createHash('sha256').update(`splunk-hec-channel:${outputId}`).digest('hex');
  // Shaped as an RFC 9562 version 8 (custom) UUID: some collectors check the version and variant nibbles.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class SplunkHecSink implements Sink {
  readonly #settings: SplunkHecSettings;
  readonly #authorization: string;
  readonly #dispatcher: ReturnType<typeof guardedDispatcher>;
  readonly #timeoutMs: number;

  constructor(options: SplunkHecSinkOptions) {
    if (!TOKEN_SHAPE.test(options.token)) {
      throw new DestinationRefused('the Splunk HEC token is empty, too long or holds spaces or control characters: give the output its token again');
    }
    this.#settings = options.settings;
    this.#authorization = `Splunk ${options.token}`;
    this.#dispatcher = guardedDispatcher(options.outbound ?? environmentPolicy());
    this.#timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  async send(batch: OutgoingBatch, signal: AbortSignal): Promise<void> {
    const channel = hecChannelFor(batch.outputId);
    const requests = splitBySize(eventLines(batch, this.#settings), this.#settings.maxBatchBytes);
    const ackIds: number[] = [];
    for (const lines of requests) ackIds.push(...(await this.#post(lines, channel, signal)));
    if (this.#settings.ack) await this.#awaitAcks(ackIds, channel, signal);
  }

  /** Posts the events, halving on a 413 down to one event; the ack ids the collector gave, when ack is on. */
  async #post(lines: Buffer[], channel: string, signal: AbortSignal): Promise<number[]> {
    const body = await gzip(Buffer.concat(lines));
    const { status, reply } = await this.#request('events', '/services/collector/event', body, { 'Content-Encoding': 'gzip' }, channel, signal);
    if (status === 413) {
      if (lines.length === 1) {
        throw new DestinationRefused(`Splunk HEC refused an event of ${lines[0].length} bytes as too large (HTTP 413): raise the collector's max_content_length`);
      }
      // The collector's limit is lower than maxBatchBytes: smaller requests get the batch through, still whole.
      const half = Math.ceil(lines.length / 2);
      return [...(await this.#post(lines.slice(0, half), channel, signal)), ...(await this.#post(lines.slice(half), channel, signal))];
    }
    this.#judge('events', status, reply);
    if (!this.#settings.ack) return [];
    if (reply.ackId === undefined) {
      throw new DestinationRefused('Splunk HEC took the events but gave no ackId: enable indexer acknowledgement on the token, or turn the output\'s ack off');
    }
    return [reply.ackId];
  }

  /** Resolves once every ack id is acknowledged; SplunkHecUnavailable when the wait runs out. */
  async #awaitAcks(ackIds: number[], channel: string, signal: AbortSignal): Promise<void> {
    const pending = new Set(ackIds);
    const deadline = Date.now() + this.#settings.ackTimeoutSeconds * 1000;
    let pause = ACK_POLL_FIRST_MS;
    let lastProblem = '';
    while (pending.size > 0) {
      for (const ids of groupsOf([...pending], ACK_IDS_PER_QUERY)) {
        try {
          const body = Buffer.from(JSON.stringify({ acks: ids }));
          const { status, reply } = await this.#request('ack query', '/services/collector/ack', body, {}, channel, signal);
          this.#judge('ack query', status, reply);
          for (const id of ids) if (reply.acks?.[String(id)] === true) pending.delete(id);
        } catch (err) {
          // A busy or unreachable collector may still answer before the deadline; a refusal will not change.
          if (err instanceof DestinationRefused || signal.aborted) throw err;
          lastProblem = `; last: ${(err as Error).message}`;
        }
      }
      if (pending.size === 0) return;
      if (Date.now() + pause > deadline) {
        throw new SplunkHecUnavailable(
          `Splunk HEC acknowledged ${ackIds.length - pending.size} of ${ackIds.length} requests within ${this.#settings.ackTimeoutSeconds} s${lastProblem}: the batch will be sent again`,
        );
      }
      await sleep(pause, undefined, { signal });
      pause = Math.min(pause * 2, ACK_POLL_MAX_MS);
    }
  }

  #judge(what: 'events' | 'ack query', status: number, reply: HecReply): void {
    const verdict = judgeReply(what, status, reply);
    if (verdict.kind === 'refused') throw new DestinationRefused(verdict.reason);
    if (verdict.kind === 'transient') throw new SplunkHecUnavailable(verdict.reason);
  }

  async #request(
    what: string,
    path: string,
    body: Buffer,
    headers: Record<string, string>,
    channel: string,
    signal: AbortSignal,
  ): Promise<{ status: number; reply: HecReply }> {
    let response: Response;
    try {
      response = await fetch(`${this.#settings.url}${path}`, {
        method: 'POST',
        headers: {
          Authorization: this.#authorization,
          'Content-Type': 'application/json',
          'User-Agent': 'atlassian-audit-source',
          'X-Splunk-Request-Channel': channel,
          ...headers,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]),
        dispatcher: this.#dispatcher,
      } as RequestInit);
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      // An address the operator has not allowed stays refused until they change the setting.
      const refusal = outboundRefusalIn(err);
      if (refusal) throw new DestinationRefused(`Splunk HEC ${what} refused by the outbound guard: ${refusal}`);
      throw new SplunkHecUnavailable(`Splunk HEC ${what} failed: ${describeFetchError(err, this.#timeoutMs)}`);
    }
    const text = await readBodyPrefix(response, MAX_REPLY_BYTES).catch(() => '');
    return { status: response.status, reply: readReply(text) };
  }
}

/**
 * One JSON object per event, newline-ended, as HEC's event endpoint takes them one after another. The record, already
 * JSON text, is spliced in as the envelope's last member rather than parsed and serialized again.
 */
function eventLines(batch: OutgoingBatch, settings: SplunkHecSettings): Buffer[] {
  return batch.records.map((record, i) => {
    const event = batch.events[i];
    const millis = Date.parse(event.eventTime);
    const envelope = {
      // Without a time Splunk stamps the event with its arrival, which is worse than nothing for an audit trail,
      // but a stored event always has one: the guard only keeps an unreadable value out of the request.
      ...(Number.isFinite(millis) ? { time: millis / 1000 } : {}),
      host: settings.host,
      source: batch.source.name,
      sourcetype: settings.sourcetype,
      ...(settings.index ? { index: settings.index } : {}),
      // Indexed, so that `event_id::<id>` finds an event and `dedup event_id` drops a resent one, in any format.
      fields: { event_id: event.eventId },
    };
    return Buffer.from(`${JSON.stringify(envelope).slice(0, -1)},"event":${record}}\n`);
  });
}

/** Requests of at most maxBytes each, in order; an event larger than that alone can never be sent. */
function splitBySize(lines: Buffer[], maxBytes: number): Buffer[][] {
  const requests: Buffer[][] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const line of lines) {
    if (line.length > maxBytes) {
      throw new DestinationRefused(`an event is ${line.length} bytes as sent to Splunk HEC, more than the output's maxBatchBytes (${maxBytes}): raise it`);
    }
    if (size + line.length > maxBytes) {
      requests.push(current);
      current = [];
      size = 0;
    }
    current.push(line);
    size += line.length;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

function groupsOf<T>(items: T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

