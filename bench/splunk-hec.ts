import { outboundPolicy } from '../config/outbound-guard';
import type { OutgoingBatch } from '../outputs/sink';
import { parseSplunkHecSettings } from '../outputs/splunk-hec-settings';
import { SplunkHecSink } from '../outputs/splunk-hec-sink';
import type { StoredEvent } from '../outputs/stored-event';
import { HecReceiver } from '../harness/hec-receiver';

// What the Splunk HEC sink forwards per second into the test receiver on 127.0.0.1, with indexer acknowledgement off
// and on, and how much gzip saves on the wire. The receiver gunzips and parses every request on the same two cores,
// so the figures are a floor for the sink. Usage: npx tsx bench/splunk-hec.ts [events=50000] [batch=1000]

const TOKEN = 'bench-token';

function batchOf(first: number, count: number): OutgoingBatch {
  const events: StoredEvent[] = Array.from({ length: count }, (_, i) => {
    const n = first + i;
    const eventTime = new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString();
    const ip = `203.0.${(n >> 8) & 255}.${n & 255}`;
    return {
      sourceId: 'bench-source',
      sourceName: 'bench',
      organizationId: 'bench-org',
      seq: n,
      eventId: `0c4f7a9e-${String(n).padStart(12, '0')}`,
      eventTime,
      processedAt: eventTime,
      action: n % 3 === 0 ? 'user_logged_in' : 'api_token_created',
      actorId: `actor-${n % 50}`,
      actorName: `Admin ${n % 50}`,
      actorEmail: `admin${n % 50}@example.com`,
      ip,
      location: { ip, city: 'Sydney', countryName: 'Australia' },
      parsedAt: eventTime,
      anyIpAddresses: [ip],
      anyEmails: [`admin${n % 50}@example.com`],
      anyUsernames: [`Admin ${n % 50}`],
      rawText: '{}',
      raw: {},
    };
  });
  // Records about the size and shape of a raw Atlassian event with the product's p_ fields.
  const records = events.map((event) => JSON.stringify({
    id: event.eventId,
    type: 'events',
    attributes: {
      time: event.eventTime,
      action: event.action,
      actor: { id: event.actorId, name: event.actorName, email: event.actorEmail, links: { self: `https://api.atlassian.com/users/${event.actorId}` } },
      context: [{ id: `ctx-${event.seq}`, type: 'User', attributes: { displayName: event.actorName } }],
      container: [{ id: 'bench-org', type: 'Organization', attributes: { name: 'Bench' } }],
      location: event.location,
    },
    message: { content: `${event.actorName} did ${event.action}`, format: 'simple' },
    p_source_id: event.sourceId,
    p_source_label: event.sourceName,
    p_event_time: event.eventTime,
    p_parse_time: event.parsedAt,
    p_any_ip_addresses: event.anyIpAddresses,
    p_any_emails: event.anyEmails,
  }));
  return { outputId: 'bench-output', outputName: 'splunk', source: { id: 'bench-source', name: 'bench', organizationId: 'bench-org' }, firstSeq: first, lastSeq: first + count - 1, events, records };
}

async function run(total: number, batchSize: number, ack: boolean): Promise<void> {
  const receiver = await HecReceiver.start({ tokens: { [TOKEN]: 'enabled' }, ack });
  try {
    const settings = parseSplunkHecSettings({ url: receiver.url, ack }, { ALLOW_INSECURE_LOOPBACK_HTTP: 'true' });
    const sink = new SplunkHecSink({ settings, token: TOKEN, outbound: outboundPolicy('127.0.0.1/32') });
    const batches = Array.from({ length: Math.ceil(total / batchSize) }, (_, i) => batchOf(i * batchSize + 1, Math.min(batchSize, total - i * batchSize)));
    const rawBytes = batches.reduce((sum, batch) => sum + batch.records.reduce((s, r) => s + r.length, 0), 0);
    const started = performance.now();
    for (const batch of batches) await sink.send(batch, new AbortController().signal);
    const seconds = (performance.now() - started) / 1000;
    const sent = receiver.requests.filter((r) => r.path === '/services/collector/event');
    const wire = sent.reduce((sum, r) => sum + r.bytes, 0);
    if (receiver.events.length !== total) throw new Error(`the receiver has ${receiver.events.length} events, expected ${total}`);
    console.log(
      `ack ${ack ? 'on ' : 'off'}: ${total} events in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} events/s; ` +
        `${sent.length} requests, ${(wire / 1024 / 1024).toFixed(1)} MiB gzipped for ${(rawBytes / 1024 / 1024).toFixed(1)} MiB of records ` +
        `(${((wire / rawBytes) * 100).toFixed(0)}%)${ack ? `, ${receiver.ackQueries.length} ack queries` : ''}`,
    );
  } finally {
    await receiver.close();
  }
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 50_000);
  const batchSize = Number(process.argv[3] ?? 1_000);
  await run(total, batchSize, false);
  await run(total, batchSize, true);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
