import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Webhook } from 'standardwebhooks';
import { describeFetchError } from '../config/fetch-error';
import { environmentPolicy, guardedDispatcher, outboundRefusalIn, type OutboundPolicy } from '../config/outbound-guard';
import { ndjsonBytes } from './ndjson';
import { DestinationRefused, type OutgoingBatch, type Sink } from './sink';

const gzipAsync = promisify(gzip);

export interface HttpSinkOptions {
  /** The receiver's URL: a secret (it may carry a token), opened by the caller from the output's sealed secrets. */
  url: string;
  /** A Standard Webhooks secret (whsec_…): each POST is then signed as alert webhooks are. */
  signingSecret?: string;
  gzip: boolean;
  timeoutMs?: number;
  /** Which non-public addresses it may reach; by default what OUTBOUND_ALLOWED_NETWORKS allows. */
  outbound?: OutboundPolicy;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Statuses that may pass: the receiver is busy, throttles or timed out. Any other 4xx (a bad token, a missing path, a
 * body too large) fails again on every retry, as does a redirect, which would carry the batch where nobody configured.
 */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 425, 429]);

/**
 * Generic HTTP: each batch is one POST of NDJSON, one record per line, gzipped when asked. A retried batch carries the
 * same records and the same message id, and every record its event id, so a receiver can drop repeats.
 */
export function createHttpSink(options: HttpSinkOptions): Sink {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    async send(batch: OutgoingBatch, signal: AbortSignal): Promise<void> {
      const ndjson = ndjsonBytes(batch.records);
      const body = options.gzip ? await gzipAsync(ndjson) : ndjson;
      const messageId = `${batch.outputName}-${batch.source.id}-${batch.firstSeq}-${batch.lastSeq}`;
      const headers: Record<string, string> = {
        'Content-Type': 'application/x-ndjson',
        'User-Agent': 'atlassian-audit-source',
        'Idempotency-Key': messageId,
        ...(options.gzip ? { 'Content-Encoding': 'gzip' } : {}),
        ...(options.signingSecret ? signatureHeaders(options.signingSecret, messageId, ndjson) : {}),
      };
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          dispatcher: guardedDispatcher(options.outbound ?? environmentPolicy()),
        } as RequestInit);
      } catch (err) {
        const refusal = outboundRefusalIn(err);
        if (refusal) throw new DestinationRefused(`refused: ${refusal}`);
        throw new Error(describeSendError(err, timeoutMs));
      }
      // The reply is never read: it is the receiver's text, and only its status matters here.
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return;
      if (response.status >= 500 || TRANSIENT_CLIENT_STATUSES.has(response.status)) throw new Error(`HTTP ${response.status}`);
      throw new DestinationRefused(`the receiver answered HTTP ${response.status}${response.status < 400 ? ' (a redirect)' : ''}`);
    },
  };
}

/** Signed over the uncompressed NDJSON bytes, which is what a receiver's Standard Webhooks library verifies after decoding. */
function signatureHeaders(secret: string, messageId: string, payload: Buffer): Record<string, string> {
  const timestamp = new Date();
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, timestamp, payload),
  };
}

/** An output's own abort (the activity cancelled) is no timeout of the receiver's. */
function describeSendError(err: unknown, timeoutMs: number): string {
  return (err as { name?: unknown } | null)?.name === 'AbortError' ? 'the send was cancelled' : describeFetchError(err, timeoutMs);
}
