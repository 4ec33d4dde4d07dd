import fc from 'fast-check';
import { rawRecord, spliceable } from '../../../outputs/formats/raw';
import type { StoredEvent } from '../../../outputs/stored-event';
import { readInput } from './golden-cases';

// The raw format splices the product's fields into the stored text rather than parsing and serializing the event.
// These hold the splice to what the record means: the event's members, then each p_ field the event lacks.

const base = readInput('user-login');

function storedAs(rawText: string): StoredEvent {
  return { ...base, rawText, raw: JSON.parse(rawText) as Record<string, unknown> };
}

/** The record as the format defines it, built the slow way: the product's fields under the event's own members. */
function expectedRecord(event: StoredEvent): Record<string, unknown> {
  return {
    p_log_type: 'Atlassian.Audit',
    p_event_time: event.eventTime,
    p_parse_time: event.parsedAt,
    p_source_id: event.sourceId,
    p_source_label: event.sourceName,
    p_organization_id: event.organizationId,
    p_seq: event.seq,
    p_any_ip_addresses: event.anyIpAddresses,
    p_any_emails: event.anyEmails,
    p_any_usernames: event.anyUsernames,
    ...event.raw,
  };
}

test('the stored text goes out as it is, with the product fields after it', () => {
  // PostgreSQL's jsonb output: a space after each comma and colon, and numbers as stored, which JSON.parse would round.
  const text = '{"id": "e-1", "type": "events", "count": 12345678901234567890, "ratio": 1.50, "attributes": {"time": "2026-11-06T03:15:23.123Z"}}';
  const record = rawRecord(storedAs(text));
  expect(record.startsWith(text.slice(0, -1))).toBe(true);
  expect(JSON.parse(record)).toEqual(expectedRecord(storedAs(text)));
});

test('an event member named like a product field wins over it, and a "p_ inside a value changes nothing', () => {
  for (const text of ['{"id": "e-1", "p_seq": -1, "p_log_type": "Forged.Type"}', '{"id": "e-1", "message": "say \\"p_seq\\" aloud"}', '{}']) {
    const record = JSON.parse(rawRecord(storedAs(text))) as Record<string, unknown>;
    expect(record).toEqual(expectedRecord(storedAs(text)));
  }
  expect(JSON.parse(rawRecord(storedAs('{"p_seq": -1}'))).p_seq).toBe(-1);
});

test('any event object gives the record the format defines, in one line', () => {
  const names = fc.oneof(fc.constantFrom('id', 'p_seq', 'p_log_type', 'p_any_emails', 'p_', '"p_x', 'P_seq', '1', '__proto__'), fc.string({ maxLength: 8 }));
  const values = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('"p_seq', '{"p_seq": 1}', 'line\nbreak', '\u2028'));
  fc.assert(
    fc.property(fc.dictionary(names, values, { maxKeys: 6 }), (raw) => {
      const event = storedAs(JSON.stringify(raw));
      const record = rawRecord(event);
      expect(record).not.toContain('\n');
      expect(JSON.parse(record)).toEqual(expectedRecord(event));
    }),
    { numRuns: 500 },
  );
});

test('a text is spliceable exactly when it is an object that does not hold "p_ anywhere', () => {
  const pieces = fc.constantFrom('{"', '}', '"', 'p', '_', 'p_', '"p', 'x', ' ', '\\');
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join('')), (text) => {
      expect(spliceable(text)).toBe(text.startsWith('{"') && text.endsWith('}') && !text.includes('"p_'));
    }),
    { numRuns: 2000 },
  );
});
