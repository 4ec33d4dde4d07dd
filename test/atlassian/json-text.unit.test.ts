import fc from 'fast-check';
import { jsonText, nestedDeeperThan } from '../../atlassian/json-text';

// The two walks that never recurse: the text must be JSON.stringify's to the byte (the quarantine keeps an event's
// exact text and finds it again by its hash), and the depth must be counted as JSON nests.

describe('jsonText and nestedDeeperThan', () => {
  it('writes what JSON.stringify writes, for any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => jsonText(value) === JSON.stringify(value)), { numRuns: 2_000 });
  });

  it('writes a value nested 100,000 levels deep, which JSON.stringify cannot', () => {
    const text = `${'[{"k":'.repeat(50_000)}null${'}]'.repeat(50_000)}`;
    const value: unknown = JSON.parse(text);
    expect(() => JSON.stringify(value)).toThrow(RangeError);
    expect(jsonText(value)).toBe(text);
    expect(nestedDeeperThan(value, 99_999)).toBe(true);
    expect(nestedDeeperThan(value, 100_000)).toBe(false);
  });

  it('counts levels as JSON nests them: a scalar is none, an empty array or object is one', () => {
    expect([nestedDeeperThan('x', 0), nestedDeeperThan([], 0), nestedDeeperThan([], 1), nestedDeeperThan({ a: [1, { b: null }] }, 3), nestedDeeperThan({ a: [1, { b: null }] }, 2)]).toEqual([
      false,
      true,
      false,
      false,
      true,
    ]);
  });
});
