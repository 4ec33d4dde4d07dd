import { formatEvent } from '../../outputs/formats';
import { readEvents } from '../../outputs/read-events';
import { readRecords } from '../../outputs/read-records';
import { insertEvents } from '../../store/events';
import { createIdleSource, openTestDatabase, testCipher } from '../../harness/sources';
import { row } from '../detections/sample-events';

// The raw format sends PostgreSQL's own text of the stored jsonb with the product's fields spliced in: this checks the
// splice against the text a real server gives, where the unit tests can only imitate it.

/** An event whose raw body gets extra top-level members, written as JSON text so that numbers keep every digit. */
function rowWith(extraMembers: string) {
  const stored = row({ action: 'user_granted_role' });
  return { ...stored, raw: `${stored.raw.slice(0, -1)},${extraMembers}}` };
}

test('a raw record read from PostgreSQL is the stored event with the product fields its members do not name', async () => {
  const db = openTestDatabase();
  try {
    const source = await createIdleSource(db, testCipher);
    const rows = [
      rowWith('"count":12345678901234567890,"note":"line\\nbreak \\u00e9 \\ud83d\\ude00"'),
      rowWith('"p_seq":-1,"p_log_type":"Forged.Type"'),
      rowWith('"message":{"content":"say \\"p_seq\\""}'),
    ];
    await db.withTransaction((tx) => insertEvents(tx, source.id, source.name, rows));
    const read = await readEvents(db, source.id, { afterSeq: 0, limit: 10 });
    expect(read).toHaveLength(3);
    const stored = (await db.query<{ raw_text: string }>('SELECT raw::text AS raw_text FROM events WHERE source_id = $1 ORDER BY seq', [source.id])).rows;
    for (const [i, { event }] of read.entries()) {
      const record = formatEvent('raw', event);
      expect(JSON.parse(record)).toEqual({
        p_log_type: 'Atlassian.Audit',
        p_event_time: event.eventTime,
        p_parse_time: event.parsedAt,
        p_source_id: source.id,
        p_source_label: source.name,
        p_organization_id: source.organizationId,
        p_seq: event.seq,
        p_any_ip_addresses: event.anyIpAddresses,
        p_any_emails: event.anyEmails,
        p_any_usernames: event.anyUsernames,
        ...JSON.parse(stored[i].raw_text),
      });
      expect(record).not.toContain('\n');
    }
    // Spliced, the stored text is kept to the digit; parsed, a number past 2^53 would be rounded.
    expect(formatEvent('raw', read[0].event)).toContain('"count": 12345678901234567890');
    expect(JSON.parse(formatEvent('raw', read[1].event))).toMatchObject({ p_seq: -1, p_log_type: 'Forged.Type' });
  } finally {
    await db.close();
  }
});

test('raw records made with the fields PostgreSQL writes equal the raw format of the events read whole, byte for byte', async () => {
  const db = openTestDatabase();
  try {
    const source = await createIdleSource(db, testCipher);
    // Text that JSON escapes (quotes, backslashes, control characters) or does not (non-ASCII, U+2028), and empty arrays.
    const awkward = 'q"uote \\ back\u0001\u001f\t\n\u007f é 😀 \u2028';
    const rows = [
      { ...row({ action: 'user_login' }), anyIpAddresses: ['203.0.113.9', '2001:db8::1'], anyEmails: [`a${awkward}@example.com`], anyUsernames: [awkward, ''] },
      { ...row({ action: 'user_granted_role' }), anyIpAddresses: [], anyEmails: [], anyUsernames: [] },
      rowWith('"p_seq":-1'),
      rowWith('"note":"line\\nbreak \\u00e9"'),
    ];
    const label = `label ${awkward}`;
    await db.withTransaction((tx) => insertEvents(tx, source.id, label, rows));
    const whole = await readEvents(db, source.id, { afterSeq: 0, limit: 10 });
    for (const span of [{ afterSeq: 0, limit: 10 }, { afterSeq: 0, throughSeq: 4 }]) {
      const records = await readRecords(db, source.id, 'raw', span);
      expect(records.map((r) => r.record)).toEqual(whole.map(({ event }) => formatEvent('raw', event)));
      expect(records.map((r) => [r.event, r.bytes])).toEqual(whole.map(({ event, bytes }) => [{ seq: event.seq, eventId: event.eventId, eventTime: event.eventTime, parsedAt: event.parsedAt }, bytes]));
    }
    expect(whole[0].event.sourceName).toBe(label);
  } finally {
    await db.close();
  }
});
