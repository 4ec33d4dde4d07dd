import { dayObjects } from '../../outputs/s3-object-keys';
import type { BatchEvent, OutgoingBatch } from '../../outputs/sink';

// dayObjects parses one time per date rather than one per event: the keys must be those of each event's own day.

function batchOf(times: Array<Pick<BatchEvent, 'eventTime' | 'parsedAt'>>): OutgoingBatch {
  const events = times.map((time, i) => ({ seq: i + 1, eventId: `e-${i + 1}`, ...time }));
  return { outputId: 'o', outputName: 'lake', source: { id: 's', name: 'src', organizationId: 'org-1' }, firstSeq: 1, lastSeq: events.length, events, records: events.map((e) => e.eventId) };
}

const dayOfKey = (key: string) => /year=(\d+)\/month=(\d+)\/day=(\d+)/.exec(key)!.slice(1).join('-');

test("each event goes into its own day's object, times written otherwise than toISOString's included", () => {
  const parsedAt = '2026-03-10T08:00:00.000Z';
  const objects = dayObjects(
    batchOf([
      { eventTime: '2026-03-07T23:59:59.999Z', parsedAt },
      { eventTime: '2026-03-08T00:00:00.000Z', parsedAt },
      // Hour 24 is the next day's midnight to a Date: not the day its first ten characters name.
      { eventTime: '2026-03-07T24:00:00.000Z', parsedAt },
      { eventTime: '2026-03-07T12:00:00.000Z', parsedAt },
      // No day at all: each falls back to its own parse time.
      { eventTime: '2026-13-07T12:00:00.000Z', parsedAt: '2026-03-09T01:00:00.000Z' },
      { eventTime: '2026-13-07T12:00:00.000Z', parsedAt },
      { eventTime: '+012026-03-07T12:00:00.000Z', parsedAt },
    ]),
    'p',
  );
  expect(Object.fromEntries(objects.map((o) => [dayOfKey(o.key), o.records]))).toEqual({
    '2026-03-07': ['e-1', 'e-4'],
    '2026-03-08': ['e-2', 'e-3'],
    '2026-03-09': ['e-5'],
    '2026-03-10': ['e-6'],
    '12026-03-07': ['e-7'],
  });
});
