import { KnownMonths } from '../../activities/known-months';
import type { EventRow } from '../../atlassian/normalize';
import { eventColumns, insertEvents } from '../../store/events';

// What a page hands PostgreSQL besides the rows themselves: the insert's array literals, and the months it has already
// checked for statistics (each checked once per worker, not once per page).

const row = (eventId: string, extra: Partial<EventRow> = {}): EventRow => ({
  eventId,
  eventTime: '2026-12-01T10:00:00.000Z',
  processedAt: null,
  action: 'user_login',
  actorId: 'a-1',
  actorName: null,
  actorEmail: null,
  ip: null,
  location: null,
  anyIpAddresses: [],
  anyEmails: [],
  anyUsernames: [],
  raw: `{"id":${JSON.stringify(eventId)}}`,
  ...extra,
});

describe('the columns of a page', () => {
  it('write nulls as NULL and escape quotes and backslashes, also inside the per-row lists', () => {
    const rows = [row('e"1', { actorName: 'back\\slash', anyUsernames: ['Ann "A"', 'B\\'] }), row('e2', { processedAt: '2026-12-01T10:00:01.000Z' })];
    const { values } = eventColumns(rows);
    expect(values[0]).toBe('{"e\\"1","e2"}');
    expect(values[2]).toBe('{NULL,"2026-12-01T10:00:01.000Z"}');
    expect(values[5]).toBe('{"back\\\\slash",NULL}');
    // The list is one literal per row, itself quoted as an element of the column's literal.
    expect(values[11]).toBe('{"{\\"Ann \\\\\\"A\\\\\\"\\",\\"B\\\\\\\\\\"}","{}"}');
    expect(values[12]).toBe('[{"id":"e\\"1"},{"id":"e2"}]');
    expect(values[13]).toBe('{NULL,NULL}');
  });

  it('are refused for rows they were not made from', async () => {
    const made = eventColumns([row('e1')]);
    await expect(insertEvents({} as never, 'source', 'label', [row('e1')], made)).rejects.toThrow('made from other rows');
  });
});

describe('the months known to have statistics', () => {
  it('are asked for once each, per source', () => {
    const known = new KnownMonths();
    expect(known.unknown('s1', ['2026-11', '2026-12', '2026-11'])).toEqual(['2026-11', '2026-12']);
    known.add('s1', ['2026-11', '2026-12']);
    expect(known.unknown('s1', ['2026-11', '2026-12'])).toEqual([]);
    expect(known.unknown('s2', ['2026-12'])).toEqual(['2026-12']);
  });

  it('are forgotten all at once when too many, so a long-lived worker stays bounded', () => {
    const known = new KnownMonths();
    for (let i = 0; i < 10_000; i++) known.add(`s${i}`, ['2026-12']);
    expect(known.unknown('s0', ['2026-12'])).toEqual([]);
    known.add('s-new', ['2026-12']);
    expect(known.unknown('s0', ['2026-12'])).toEqual(['2026-12']);
    expect(known.unknown('s-new', ['2026-12'])).toEqual([]);
  });
});
