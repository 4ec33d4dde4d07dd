import { toEventRow } from '../atlassian/normalize';
import { auditEventSchema } from '../atlassian/schema';
import { formatEvent } from '../outputs/formats';
import type { OutputFormat } from '../outputs/sink';
import { parsedOnUse, type StoredEvent } from '../outputs/stored-event';
import { EventGenerator } from '../simulator/generator';
import { createPopulation } from '../simulator/population';
import { median } from './bench-environment';

// What formatting costs a forwarder: records per second for each format, made from the simulator's event mix as the
// JSON text a sink sends (formatEvent), in one process, no I/O. Each round's events hold their raw body as text, parsed
// on first use, as a store read gives them: a format that reads the body pays for parsing it.
// Usage: npx tsx bench/formats.ts [events=50000] [rounds=5]

const EVENTS = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const FORMATS: OutputFormat[] = ['raw', 'ecs', 'ocsf'];

function storedEvents(count: number): Omit<StoredEvent, 'raw'>[] {
  const population = createPopulation(7, '8a4d1c52-6f3b-4e1d-9c2a-0b7e5f3d2a11', 'Bench Org');
  const generator = new EventGenerator({ seed: 7, population, selfBaseUrl: 'https://api.atlassian.com', lateEventRatio: 0.01 });
  const start = Date.parse('2026-11-01T00:00:00Z');
  const events: Omit<StoredEvent, 'raw'>[] = [];
  for (let i = 0; i < count; i++) {
    const row = toEventRow(auditEventSchema.parse(generator.generate(i, start + i * 1_000).body));
    events.push({
      sourceId: '0d9e8f7a-1b2c-4d3e-8f4a-5b6c7d8e9f01', sourceName: 'bench', organizationId: population.orgId, seq: i + 1,
      eventId: row.eventId, eventTime: new Date(row.eventTime).toISOString(), processedAt: row.processedAt, action: row.action,
      actorId: row.actorId, actorName: row.actorName, actorEmail: row.actorEmail, ip: row.ip,
      location: row.location === null ? null : JSON.parse(row.location), parsedAt: new Date(start + i * 1_000).toISOString(),
      anyIpAddresses: row.anyIpAddresses, anyEmails: row.anyEmails, anyUsernames: row.anyUsernames, rawText: row.raw,
    });
  }
  return events;
}

const events = storedEvents(EVENTS);
const rates: Record<OutputFormat, number[]> = { raw: [], ecs: [], ocsf: [] };
let bytes = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const format of FORMATS) {
    const read = events.map(parsedOnUse);
    const started = process.hrtime.bigint();
    for (const event of read) bytes += formatEvent(format, event).length;
    rates[format].push(EVENTS / (Number(process.hrtime.bigint() - started) / 1e9));
  }
}
for (const format of FORMATS) {
  console.log(`${format.padEnd(5)} ${Math.round(median(rates[format])).toLocaleString('en-US')} records/s (median of ${ROUNDS} rounds of ${EVENTS.toLocaleString('en-US')} events, formatted and serialized)`);
}
console.log(`(${Math.round(bytes / (ROUNDS * FORMATS.length * EVENTS))} bytes per record on average)`);
