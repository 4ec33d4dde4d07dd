// What a Splunk HTTP Event Collector reply means for the batch: delivered, refused for good (the output pauses and the
// operator is told), or worth another try. HEC answers with an HTTP status and a JSON body whose `code` says more than
// the status: a 400 may be bad data (never better on retry) and a 503 a full queue (better soon). The reply's own
// `text` is never passed on: a receiver may write anything there, the token included.

export type HecVerdict = { kind: 'ok' } | { kind: 'refused'; reason: string } | { kind: 'transient'; reason: string };

/** The parts of a HEC reply body the sink reads; anything else in it is ignored. */
export interface HecReply {
  code?: number;
  ackId?: number;
  acks?: Record<string, unknown>;
}

/** HEC status codes, in our words and with what the operator does about them. */
const CODE_MEANINGS: Record<number, string> = {
  1: 'the token is disabled: enable it in Splunk or give the output another',
  2: 'no token was sent',
  3: 'the Authorization header was not understood',
  4: 'the token is not known to this collector: check the output\'s token',
  5: 'no data',
  6: 'invalid data format',
  7: 'the index is not allowed for this token: fix the output\'s index or the token\'s allowed indexes',
  8: 'internal server error',
  9: 'server is busy',
  10: 'the data channel is missing',
  11: 'the data channel is invalid',
  12: 'an event field is required',
  13: 'an event field is blank',
  14: 'indexer acknowledgement is disabled for this token: enable it on the token or turn ack off',
  15: 'indexed fields could not be handled',
  16: 'query string authorization is not enabled',
  18: 'the collector is unhealthy: its queues are full',
  19: 'the collector is unhealthy: its acknowledgement service is unavailable',
  20: 'the collector is unhealthy: queues full and acknowledgement service unavailable',
};

/** Codes that say the collector is overloaded or broken for now, whatever the HTTP status. */
const TRANSIENT_CODES = new Set([8, 9, 18, 19, 20]);
const TRANSIENT_STATUSES = new Set([408, 425, 429]);

/** The largest reply body read: HEC replies are a few dozen bytes, an ack reply a few per id asked about. */
export const MAX_REPLY_BYTES = 8 * 1024;

/** The verdict on one reply to `what` (the events POST or the ack query). */
export function judgeReply(what: 'events' | 'ack query', status: number, reply: HecReply): HecVerdict {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const code = typeof reply.code === 'number' ? reply.code : undefined;
  const meaning = code !== undefined ? CODE_MEANINGS[code] : undefined;
  const described = `HTTP ${status}${code !== undefined ? `, HEC code ${code}` : ''}${meaning ? ` (${meaning})` : ''}`;
  if ((code !== undefined && TRANSIENT_CODES.has(code)) || TRANSIENT_STATUSES.has(status) || status >= 500 || status < 200) {
    return { kind: 'transient', reason: `Splunk HEC did not take the ${what}: ${described}` };
  }
  if (status >= 300 && status < 400) {
    // Following it would send the token somewhere nobody configured.
    return { kind: 'refused', reason: `Splunk HEC redirected the ${what} (HTTP ${status}): give the collector's own URL` };
  }
  if (status === 404) return { kind: 'refused', reason: `no Splunk HTTP Event Collector at this URL (HTTP 404): check the output's url` };
  return { kind: 'refused', reason: `Splunk HEC refused the ${what}: ${described}` };
}

/** The body's HEC fields, or {} when it is not the JSON object HEC sends. */
export function readReply(text: string): HecReply {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const { code, ackId, acks } = parsed as Record<string, unknown>;
    return {
      code: Number.isSafeInteger(code) ? (code as number) : undefined,
      ackId: Number.isSafeInteger(ackId) && (ackId as number) >= 0 ? (ackId as number) : undefined,
      acks: typeof acks === 'object' && acks !== null && !Array.isArray(acks) ? (acks as Record<string, unknown>) : undefined,
    };
  } catch {
    return {};
  }
}
