import fc from 'fast-check';
import { isoTimeWriter } from '../../outputs/read-events';

// A read formats two times per event; isoTimeWriter keeps the last text and the last day's. These hold it to
// toISOString's text for every time a Date holds, repeats and day changes included.

const DATE_LIMIT_MS = 8.64e15;

test('isoTimeWriter writes the text toISOString writes, whatever the order of the times', () => {
  const anyTime = fc.double({ min: -DATE_LIMIT_MS, max: DATE_LIMIT_MS, noNaN: true }).map(Math.floor);
  const nearMidnight = fc.integer({ min: -5_000, max: 5_000 }).map((offset) => Date.UTC(2026, 10, 6) + offset);
  const extendedYears = fc.constantFrom(-62_198_755_200_001, 253_402_300_800_000, -DATE_LIMIT_MS, DATE_LIMIT_MS, 0, -1);
  fc.assert(
    fc.property(fc.array(fc.oneof(anyTime, nearMidnight, extendedYears), { maxLength: 40 }), (times) => {
      const write = isoTimeWriter();
      for (const ms of [...times, ...times.slice().reverse()]) expect(write(String(ms))).toBe(new Date(ms).toISOString());
    }),
    { numRuns: 300 },
  );
});

test('a time no Date holds fails as toISOString does', () => {
  expect(() => isoTimeWriter()(String(DATE_LIMIT_MS + 1))).toThrow(RangeError);
});
