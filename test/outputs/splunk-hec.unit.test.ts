import { randomBytes } from 'node:crypto';
import { outboundPolicy } from '../../config/outbound-guard';
import { DestinationRefused, type OutgoingBatch } from '../../outputs/sink';
import { MAX_ACK_TIMEOUT_SECONDS, parseSplunkHecSettings, type SplunkHecSettings } from '../../outputs/splunk-hec-settings';
import { hecChannelFor, REQUEST_TIMEOUT_MS, SplunkHecSink, SplunkHecUnavailable } from '../../outputs/splunk-hec-sink';
import { MAX_ROUND_MS } from '../../activities/forward-output';
import { FORWARD_ROUND_TIMEOUT } from '../../workflows/output-workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { StoredEvent } from '../../outputs/stored-event';
import { HecReceiver } from '../../harness/hec-receiver';
import { eventually } from '../../harness/sources';

const TOKEN = '7d1f0c52-hec-token-4e9b-do-not-print';
const DISABLED_TOKEN = '0b5e9a11-hec-token-disabled-do-not-print';
const LOCAL = { ALLOW_INSECURE_LOOPBACK_HTTP: 'true' };
const OUTPUT_ID = '5c0a2f3e-6f6e-4d7c-9a51-2b8d1f0e9c47';

function storedEvent(i: number, payload = ''): StoredEvent {
  const raw = { id: `event-${i}`, payload };
  return {
    sourceId: 'source-1',
    sourceName: 'acme',
    organizationId: 'org-1',
    seq: i + 1,
    eventId: `event-${i}`,
    eventTime: new Date(Date.UTC(2026, 10, 20, 10, 15, 30, 123) + i * 1000).toISOString(),
    processedAt: null,
    action: 'user_logged_in',
    actorId: 'actor-1',
    actorName: 'Ada',
    actorEmail: 'ada@example.com',
    ip: '203.0.113.7',
    location: null,
    parsedAt: '2026-11-20T10:16:00.000Z',
    anyIpAddresses: ['203.0.113.7'],
    anyEmails: ['ada@example.com'],
    anyUsernames: ['Ada'],
    rawText: JSON.stringify(raw),
    raw,
  };
}

/** A batch of `count` events; `payloadBytes` of random text each makes sizes on the wire predictable. */
function batchOf(count: number, payloadBytes = 0): OutgoingBatch {
  const events = Array.from({ length: count }, (_, i) => storedEvent(i, randomBytes(payloadBytes).toString('base64')));
  return {
    outputId: OUTPUT_ID,
    outputName: 'splunk',
    source: { id: 'source-1', name: 'acme', organizationId: 'org-1' },
    firstSeq: 1,
    lastSeq: count,
    events,
    records: events.map((event) => JSON.stringify({ id: event.eventId, action: event.action, payload: event.raw.payload })),
  };
}

function sinkFor(receiver: HecReceiver, settings: Record<string, unknown> = {}, token = TOKEN, allowed = '127.0.0.1/32'): SplunkHecSink {
  const parsed: SplunkHecSettings = parseSplunkHecSettings({ url: receiver.url, ...settings }, LOCAL);
  return new SplunkHecSink({ settings: parsed, token, outbound: outboundPolicy(allowed), requestTimeoutMs: 5_000 });
}

/** The failure of an attempt that must fail; none may carry the token, however it is printed. */
async function failureOf(attempt: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof attempt === 'function' ? attempt() : attempt);
  } catch (err) {
    const printed = `${String(err)} ${(err as Error).stack ?? ''} ${JSON.stringify(err)} ${String((err as { cause?: unknown }).cause ?? '')}`;
    expect(printed).not.toContain(TOKEN);
    expect(printed).not.toContain(DISABLED_TOKEN);
    return err as Error;
  }
  throw new Error('expected a failure, but it succeeded');
}

const live = () => new AbortController().signal;

describe('Splunk HEC sink', () => {
  const receivers: HecReceiver[] = [];
  const receiver = async (options: { ack?: boolean; maxContentLength?: number } = {}) => {
    const started = await HecReceiver.start({ tokens: { [TOKEN]: 'enabled', [DISABLED_TOKEN]: 'disabled' }, ...options });
    receivers.push(started);
    return started;
  };

  afterAll(() => Promise.all(receivers.map((r) => r.close())));

  it('delivers a batch gzipped, with the token header, the channel and each event\'s time, source, sourcetype, host, index and id', async () => {
    const hec = await receiver();
    const batch = batchOf(3);
    await sinkFor(hec, { index: 'atlassian_audit' }).send(batch, live());

    expect(hec.requests).toHaveLength(1);
    const [request] = hec.requests;
    expect(request).toMatchObject({ path: '/services/collector/event', status: 200 });
    expect(request.headers['authorization']).toBe(`Splunk ${TOKEN}`);
    expect(request.headers['content-encoding']).toBe('gzip');
    expect(request.headers['x-splunk-request-channel']).toBe(hecChannelFor(OUTPUT_ID));
    expect(hecChannelFor(OUTPUT_ID)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(hec.events.map((e) => e.envelope)).toEqual(
      batch.events.map((event, i) => ({
        time: Date.parse(event.eventTime) / 1000,
        host: 'atlassian-audit',
        source: 'acme',
        sourcetype: 'atlassian:audit',
        index: 'atlassian_audit',
        fields: { event_id: event.eventId },
        event: JSON.parse(batch.records[i]),
      })),
    );
    // Milliseconds survive: 10:15:30.123 is sent as seconds with three decimals.
    expect(hec.events[0].envelope.time).toBe(Date.UTC(2026, 10, 20, 10, 15, 30, 123) / 1000);
  });

  it('with acks on, resolves send only once the indexers acknowledged the batch', async () => {
    const hec = await receiver({ ack: true });
    hec.holdAcks = true;
    let resolved = false;
    const sending = sinkFor(hec, { ack: true }).send(batchOf(4), live()).then(() => {
      resolved = true;
    });
    // The events arrived and were asked about twice, answered "not yet": send is still waiting.
    await eventually(async () => hec.ackQueries.length, (n) => n >= 2, 10_000, 20);
    expect(hec.events).toHaveLength(4);
    expect(hec.ackQueries[0]).toEqual({ ids: [0], answer: { '0': false } });
    expect(resolved).toBe(false);

    hec.holdAcks = false;
    await sending;
    expect(resolved).toBe(true);
    expect(hec.ackQueries.at(-1)).toEqual({ ids: [0], answer: { '0': true } });
    expect(hec.requests.filter((r) => r.path === '/services/collector/ack').every((r) => r.headers['x-splunk-request-channel'] === hecChannelFor(OUTPUT_ID))).toBe(true);
  });

  it('fails transiently when the ack never comes, and the batch is sent again whole', async () => {
    const hec = await receiver({ ack: true });
    hec.holdAcks = true;
    const sink = sinkFor(hec, { ack: true, ackTimeoutSeconds: 1 });
    const err = await failureOf(sink.send(batchOf(2), live()));
    expect(err).toBeInstanceOf(SplunkHecUnavailable);
    expect(err).not.toBeInstanceOf(DestinationRefused);
    expect(err.message).toBe('Splunk HEC acknowledged 0 of 1 requests within 1 s: the batch will be sent again');

    hec.holdAcks = false;
    await sink.send(batchOf(2), live());
    // At least once: both attempts' events arrived, and the ids let Splunk's search drop the repeat.
    expect(hec.events.map((e) => e.envelope.fields.event_id)).toEqual(['event-0', 'event-1', 'event-0', 'event-1']);
  });

  it('refuses for good on an unknown or disabled token, without naming it', async () => {
    const hec = await receiver();
    const unknown = await failureOf(sinkFor(hec, {}, 'not-a-token-anyone-issued').send(batchOf(1), live()));
    expect(unknown).toBeInstanceOf(DestinationRefused);
    expect(unknown.message).toBe("Splunk HEC refused the events: HTTP 403, HEC code 4 (the token is not known to this collector: check the output's token)");

    const disabled = await failureOf(sinkFor(hec, {}, DISABLED_TOKEN).send(batchOf(1), live()));
    expect(disabled).toBeInstanceOf(DestinationRefused);
    expect(disabled.message).toMatch(/HTTP 403, HEC code 1 \(the token is disabled/);

    const unusable = await failureOf(() => sinkFor(hec, {}, `${TOKEN}\r\nX-Injected: 1`));
    expect(unusable).toBeInstanceOf(DestinationRefused);
    expect(hec.events).toHaveLength(0);
  });

  it('treats 503 server busy as transient, and delivers once the collector has room', async () => {
    const hec = await receiver();
    hec.busy = true;
    hec.replyText = `busy, and here is what you sent: Splunk ${TOKEN}`;
    const sink = sinkFor(hec);
    const err = await failureOf(sink.send(batchOf(2), live()));
    expect(err).toBeInstanceOf(SplunkHecUnavailable);
    expect(err.message).toBe('Splunk HEC did not take the events: HTTP 503, HEC code 9 (server is busy)');

    hec.busy = false;
    await sink.send(batchOf(2), live());
    expect(hec.events).toHaveLength(2);
  });

  it('treats a collector that is down as transient', async () => {
    const hec = await receiver({ ack: true });
    await hec.down();
    const sink = sinkFor(hec, { ack: true });
    const err = await failureOf(sink.send(batchOf(2), live()));
    expect(err).toBeInstanceOf(SplunkHecUnavailable);
    expect(err.message).toBe('Splunk HEC events failed: ECONNREFUSED');

    await hec.up();
    await sink.send(batchOf(2), live());
    expect(hec.events).toHaveLength(2);
  });

  it('splits a batch by maxBatchBytes, halves requests the collector finds too large, and refuses an event it never takes', async () => {
    const hec = await receiver({ ack: true, maxContentLength: 6_000 });
    const batch = batchOf(20, 1_500);
    await sinkFor(hec, { ack: true, maxBatchBytes: 16_384 }).send(batch, live());

    const taken = hec.requests.filter((r) => r.path === '/services/collector/event' && r.status === 200);
    expect(hec.requests.some((r) => r.status === 413)).toBe(true);
    expect(taken.length).toBeGreaterThan(3);
    expect(taken.every((r) => r.bytes <= 6_000)).toBe(true);
    // Every event once, in order, each request acknowledged.
    expect(hec.events.map((e) => e.envelope.fields.event_id)).toEqual(batch.events.map((e) => e.eventId));
    expect(new Set(hec.events.map((e) => e.ackId)).size).toBe(taken.length);

    const tiny = await receiver({ maxContentLength: 500 });
    const tooLarge = await failureOf(sinkFor(tiny).send(batchOf(1, 1_500), live()));
    expect(tooLarge).toBeInstanceOf(DestinationRefused);
    expect(tooLarge.message).toMatch(/^Splunk HEC refused an event of \d+ bytes as too large \(HTTP 413\)/);

    const beyondSetting = await failureOf(sinkFor(tiny, { maxBatchBytes: 16_384 }).send(batchOf(1, 20_000), live()));
    expect(beyondSetting).toBeInstanceOf(DestinationRefused);
    expect(beyondSetting.message).toMatch(/more than the output's maxBatchBytes \(16384\): raise it$/);
  });

  it('refuses when ack is on but the token gives no ack ids, and when the outbound guard does not allow the address', async () => {
    const hec = await receiver();
    const noAck = await failureOf(sinkFor(hec, { ack: true }).send(batchOf(1), live()));
    expect(noAck).toBeInstanceOf(DestinationRefused);
    expect(noAck.message).toMatch(/gave no ackId: enable indexer acknowledgement on the token/);

    const guarded = await failureOf(sinkFor(hec, {}, TOKEN, '').send(batchOf(1), live()));
    expect(guarded).toBeInstanceOf(DestinationRefused);
    expect(guarded.message).toBe('Splunk HEC events refused by the outbound guard: 127.0.0.1 is a loopback address, not in OUTBOUND_ALLOWED_NETWORKS');
    expect(hec.requests).toHaveLength(1);
  });
});

describe('Splunk HEC settings', () => {
  it('fills in the defaults and takes the base of a pasted collector URL', () => {
    expect(parseSplunkHecSettings({ url: 'https://splunk.example.com:8088/services/collector/event/' })).toEqual({
      url: 'https://splunk.example.com:8088',
      sourcetype: 'atlassian:audit',
      host: 'atlassian-audit',
      ack: false,
      ackTimeoutSeconds: 60,
      maxBatchBytes: 1_000_000,
    });
  });

  it.each([
    [{}, 'splunk_hec url: is required'],
    ['https://splunk.example.com', 'splunk_hec settings: must be an object of settings, such as { url: https://splunk.example.com:8088 }'],
    [{ url: 'splunk.example.com' }, 'splunk_hec url: "splunk.example.com" is not a URL'],
    [{ url: 'http://splunk.example.com:8088' }, 'splunk_hec url: http://splunk.example.com:8088 is http://, which would send the token in clear: use https'],
    [{ url: 'http://127.0.0.1:8088' }, 'splunk_hec url: http://127.0.0.1:8088 is http://: use https, or set ALLOW_INSECURE_LOOPBACK_HTTP=true for a local receiver'],
    [{ url: 'https://splunk.example.com/services/collector?token=abc' }, 'splunk_hec url: must not carry a query or a fragment (a token in a query string would be logged by every proxy)'],
    [{ url: 'https://x:y@splunk.example.com' }, 'splunk_hec url: must not carry user info before its host (the token is given by reference)'],
    [{ url: 'https://splunk.example.com', index: 'Main' }, 'splunk_hec index: must be a Splunk index name: lowercase letters, digits, _ and -'],
    [{ url: 'https://splunk.example.com', maxBatchBytes: 100 }, 'splunk_hec maxBatchBytes: must be at least 16384 bytes'],
    [{ url: 'https://splunk.example.com', ackTimeoutSeconds: 0.5 }, 'splunk_hec ackTimeoutSeconds: must be a whole number of seconds'],
    [{ url: 'https://splunk.example.com', ack: 'yes' }, 'splunk_hec ack: must be true or false'],
    [{ url: 'https://splunk.example.com', token: 'abc' }, 'splunk_hec settings: unknown setting token (known: url, sourcetype, index, host, ack, ackTimeoutSeconds, maxBatchBytes)'],
  ])('refuses %j in one line', (input, message) => {
    expect(() => parseSplunkHecSettings(input, {})).toThrow(message);
    expect(message).not.toContain('\n');
  });
});

describe("a round's timeout", () => {
  it('leaves room for a minute of batches and then the longest acknowledgement wait an output may set', () => {
    // The last batch of a round: its request, the wait for its acks, and the ack query that finds them.
    const longestRound = MAX_ROUND_MS + REQUEST_TIMEOUT_MS + MAX_ACK_TIMEOUT_SECONDS * 1000 + REQUEST_TIMEOUT_MS;
    expect(msToNumber(FORWARD_ROUND_TIMEOUT)).toBeGreaterThan(longestRound);
  });
});
