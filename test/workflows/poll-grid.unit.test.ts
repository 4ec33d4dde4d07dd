import { hash32, untilNextGridPoint } from '../../workflows/poll-grid';

const MINUTE = 60_000;
const offsetOf = (sourceId: string, intervalMs: number) => hash32(sourceId) % intervalMs;

describe('the poll grid', () => {
  it('hashes ids with FNV-1a, the same every time', () => {
    expect(hash32('')).toBe(0x811c9dc5);
    expect(hash32('a')).toBe(0xe40c292c);
    expect(hash32('foobar')).toBe(0xbf9cf968);
  });

  it("puts the next poll on the source's own grid point, within one interval", () => {
    const start = 1_000 * MINUTE;
    for (const sourceId of ['acme', 'globex', 'initech']) {
      const wait = untilNextGridPoint(sourceId, 5 * MINUTE, start, start + 2_000);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(5 * MINUTE);
      expect((start + 2_000 + wait) % (5 * MINUTE)).toBe(offsetOf(sourceId, 5 * MINUTE));
    }
  });

  it("polls every interval exactly: a cycle's own length does not add to the period", () => {
    const interval = 5 * MINUTE;
    const firstPoll = 1_000 * MINUTE + offsetOf('acme', interval);
    // Cycles of 1 s and of 40 s both lead to the grid point one interval after the poll that began them.
    for (const cycleMs of [1_000, 40_000]) {
      const now = firstPoll + cycleMs;
      expect(now + untilNextGridPoint('acme', interval, firstPoll, now)).toBe(firstPoll + interval);
    }
  });

  it('polls at once when a grid point passed during the cycle', () => {
    const interval = MINUTE;
    const began = 1_000 * MINUTE + offsetOf('acme', interval);
    expect(untilNextGridPoint('acme', interval, began, began + 70_000)).toBe(0);
    expect(untilNextGridPoint('acme', interval, began, began + 2.5 * interval)).toBe(0);
    // One millisecond short of the grid point, it still waits for it.
    expect(untilNextGridPoint('acme', interval, began, began + interval - 1)).toBe(1);
  });

  it('spreads sources started together over the interval', () => {
    const interval = 5 * MINUTE;
    const seconds = new Set(Array.from({ length: 200 }, (_, i) => Math.floor(untilNextGridPoint(`source-${i}`, interval, 0, 0) / 1000)));
    // 200 sources on a 300 s interval: were they bunched, a handful of seconds would hold them all.
    expect(seconds.size).toBeGreaterThan(100);
  });
});
