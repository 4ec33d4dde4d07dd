import fc from 'fast-check';
import { ndjsonBytes } from '../../outputs/ndjson';

// The S3 and HTTP sinks send ndjsonBytes: a batch's bytes must be those of the joined text, or a batch retried across
// an upgrade would differ (an object's content, an HTTP body and its signature).

test('ndjsonBytes gives the bytes of one record or more joined by newlines, each line ended, whatever the text', () => {
  const texts = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('', '\ud83d', '\ude00', 'é', '{"a":1}'));
  fc.assert(
    fc.property(fc.array(texts, { minLength: 1, maxLength: 20 }), (records) => {
      expect(ndjsonBytes(records).equals(Buffer.from(records.join('\n') + '\n'))).toBe(true);
    }),
    { numRuns: 1000 },
  );
});

test('records spliced from several strings are written whole', () => {
  const records = ['{"id":"e-1"', '{"id":"e-2"'].map((head, i) => `${head.slice(0, -1)}",${`"p_seq":${i}`}}`);
  expect(ndjsonBytes(records).toString()).toBe('{"id":"e-1","p_seq":0}\n{"id":"e-2","p_seq":1}\n');
});
