import fc from 'fast-check';

// fast-check arbitraries for what a broken or hostile events-stream API may answer: whole pages as text (envelope,
// meta.next, events of every shape) and rate-limit headers of every form. Times are relative to NOW_MS, taken once,
// so that a replayed seed makes the same pages, just as old or as far ahead.

const NOW_MS = Date.now();
const DAY_MS = 24 * 3600_000;
const YEAR_MS = 365 * DAY_MS;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What PostgreSQL, JSON, indexes and terminals dislike, and the text of their escapes. */
const PIECES = ['\u0000', '\uD800', '\uDFFF', '\uDBFF\uDFFF', '\uD83D\uDE00', '\u202E', '\uFFFF', '\uFEFF', '\u0085', '\u2028', '\\', '"', "'", '\\u0000', '\\ud800', '\n', '\r', '\t', '\u0007', '\u001b[31m', 'é', '中', '%00', '${x}'];

/** Any UTF-16 unit, lone surrogates and C0 controls included. */
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const hostileUnit = fc.oneof(fc.constantFrom(...PIECES), utf16Unit, fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)));

/** Short text: well-formed Unicode of every plane, or any UTF-16 units with NULs, controls and lone surrogates. */
const hostileText = (maxLength = 24) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: hostileUnit, maxLength }),
    fc.string({ unit: 'grapheme-ascii', maxLength }),
  );

/** Up to about 1 MiB (in UTF-16 units) of one repeated piece: past every btree entry, cheap to make. */
const hugeText = fc
  .tuple(fc.constantFrom('a', 'é', '中', '\uD83D\uDE00', '\u0000', '\uD800', '"', '\\'), fc.integer({ min: 2_000, max: 1 << 20 }))
  .map(([piece, units]) => piece.repeat(Math.ceil(units / piece.length)));

/**
 * A value nested up to 10,000 levels, as objects or arrays. Deeper than JSON.stringify goes (about 4,400 levels), so
 * it travels as a mark that the page's text replaces with the nesting itself; fast-check prints the mark.
 */
const deepValue = fc.tuple(fc.integer({ min: 100, max: 10_000 }), fc.constantFrom('objects', 'arrays')).map(([depth, kind]) => `@@deep:${depth}:${kind}@@`);

/** The text as served: each deep value's mark replaced by the nesting itself. */
export function expandDeepValues(text: string): string {
  return text.replace(/"@@deep:(\d+):(objects|arrays)@@"/g, (_mark, depth: string, kind: string) => {
    const levels = Number(depth);
    return kind === 'arrays' ? `${'['.repeat(levels)}"bottom"${']'.repeat(levels)}` : `${'{"k":'.repeat(levels)}"bottom"${'}'.repeat(levels)}`;
  });
}

/** Any JSON value, its strings hostile, a few levels deep. */
const hostileJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileText(),
    fc.constantFrom(0, -1, -0, 1e308, -1e308, 2 ** 53 + 1, 1.5e-300, 0.1),
    fc.constantFrom(null, true, false),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostileText(8), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const twoDigits = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

/** RFC 3339 look-alikes of every year, month 00 to 13, second 60, any offset: valid, absurd, or unparsable. */
const craftedTime = fc
  .record({
    year: fc.oneof(fc.constantFrom('0000', '0001', '1969', '1999', '2000', '2026', '9999'), fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0'))),
    month: twoDigits(13),
    day: twoDigits(32),
    t: fc.constantFrom('T', 't', ' '),
    hour: twoDigits(24),
    minute: twoDigits(60),
    second: twoDigits(61),
    fraction: fc.constantFrom('', '.1', '.123456789', '.1234567890'),
    offset: fc.oneof(fc.constantFrom('Z', 'z', '+00:00', '-00:00', '+0100', ''), fc.tuple(fc.constantFrom('+', '-'), twoDigits(24), twoDigits(59)).map(([sign, h, m]) => `${sign}${h}:${m}`)),
  })
  .map((t) => `${t.year}-${t.month}-${t.day}${t.t}${t.hour}:${t.minute}:${t.second}${t.fraction}${t.offset}`);

/** A time from this many ms from NOW_MS, as Atlassian writes it. */
const isoAt = (offsetMs: fc.Arbitrary<number>) => offsetMs.map((ms) => new Date(NOW_MS + ms).toISOString());

const hostileTime: fc.Arbitrary<Json> = fc.oneof(
  { weight: 30, arbitrary: isoAt(fc.integer({ min: -DAY_MS, max: 0 })) },
  { weight: 2, arbitrary: craftedTime },
  // Ahead: within the skew, a day, a century.
  { weight: 2, arbitrary: isoAt(fc.integer({ min: 1, max: 100 * YEAR_MS })) },
  { weight: 1, arbitrary: fc.oneof(hostileText(), fc.constantFrom(null, 0, NOW_MS, true), fc.constant({ at: 'now' })) },
);

/** A field that is there as it should be, or absent, or null, or of another type. */
const perhaps = <T>(usual: fc.Arbitrary<T>, weight = 20) =>
  fc.oneof({ weight, arbitrary: usual.map((value) => ({ value })) }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileJson.map((value) => ({ value })) });

/** Ids that collide within a page, printable ids, hostile ones, over-long ones and ones of another type. */
const eventId: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('e-1', 'e-2', 'e-3', 'e-4') },
  { weight: 20, arbitrary: fc.uuid() },
  { weight: 8, arbitrary: hostileText(40) },
  { weight: 2, arbitrary: fc.string({ unit: hostileUnit, minLength: 257, maxLength: 4_000 }) },
  { weight: 2, arbitrary: fc.constantFrom<Json>('', null, 42, true, { id: 'nested' }) },
);

const action = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('user_login', 'api_token_revoked', 'added_org_admin', 'policy_updated') },
  { weight: 3, arbitrary: hostileText(40) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 513, maxLength: 3_000 }) },
);

const ip = fc.oneof(fc.constantFrom('10.0.0.1', '::1', '203.0.113.9', '999.1.1.1'), hostileText(16));

const actor = fc.record(
  { id: fc.oneof(fc.uuid(), hostileText(40)), name: hostileText(), email: fc.oneof(hostileText(), hostileText(6).map((local) => `${local}@example.com`)), extra: hostileJson },
  { requiredKeys: ['id'] },
);

const contextEntry = fc.record(
  { id: hostileText(), type: fc.oneof(fc.constantFrom('users', 'groups', 'sites'), hostileText(6)), attributes: fc.record({ name: hostileText(), email: hostileText(), ip, extra: hostileJson }, { requiredKeys: [] }) },
  { requiredKeys: [] },
);

/** Builds an object from fields that may each be left out (undefined), keeping the rest in order. */
function objectOf(fields: Record<string, { value: unknown } | undefined>): Record<string, Json> {
  const object: Record<string, Json> = {};
  for (const [key, field] of Object.entries(fields)) if (field !== undefined) object[key] = field.value as Json;
  return object;
}

/** An event whose fields are each as documented `usual` times out of `usual + 2` (see perhaps), their values hostile. */
function eventOf(usual: number): fc.Arbitrary<Json> {
  const attributes = fc
    .record({
      time: perhaps(hostileTime, usual),
      processedAt: perhaps(hostileTime, usual),
      action: perhaps(action, usual),
      actor: perhaps(actor, usual),
      context: perhaps(fc.array(contextEntry, { maxLength: 3 }), usual),
      location: perhaps(fc.oneof(fc.constant(null), fc.record({ ip, city: hostileText(), countryName: hostileText() }, { requiredKeys: [] })), usual),
      extraKey: hostileText(8),
      extra: perhaps(hostileJson, 1),
    })
    .map(({ extraKey, extra, ...fields }) => objectOf({ ...fields, [`x-${extraKey}`]: extra }));
  return fc
    .record({
      id: perhaps(eventId, usual),
      type: perhaps(fc.constant('events'), usual),
      attributes: perhaps(attributes, usual),
      message: perhaps(fc.record({ content: hostileText(80), format: fc.constantFrom('simple', 'adf') }, { requiredKeys: [] }), usual),
    })
    .map(objectOf);
}

const hostileEvent: fc.Arbitrary<Json> = fc.oneof(
  // Most events have the documented shape, so that what they hold reaches the store; the rest may lack anything.
  { weight: 20, arbitrary: eventOf(1_000) },
  { weight: 10, arbitrary: eventOf(20) },
  // Not even an object.
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(null, 0, 'event', true), fc.constant<Json>([]), hostileText()) },
);

/** A value that goes into one event of the page, rarely: the page stays cheap, but every size and depth is tried. */
const oversized = fc.record({
  at: fc.nat(),
  where: fc.constantFrom('id', 'action', 'actorName', 'extra'),
  value: fc.oneof(hugeText, deepValue),
});

function plant(events: Json[], { at, where, value }: { at: number; where: string; value: Json }): void {
  const event = events[at % events.length];
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return;
  const attrs = event.attributes;
  const inAttributes = attrs !== null && typeof attrs === 'object' && !Array.isArray(attrs) ? attrs : undefined;
  if (where === 'id') event.id = value;
  else if (where === 'action' && inAttributes) inAttributes.action = value;
  else if (where === 'actorName' && inAttributes && inAttributes.actor !== null && typeof inAttributes.actor === 'object' && !Array.isArray(inAttributes.actor)) inAttributes.actor.name = value;
  else event.extra = value;
}

/** meta.next: absent, null, empty, the cursor the request was made with, or any text. */
const metaNext = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'own' as const }) },
  { weight: 3, arbitrary: fc.oneof(fc.uuid(), hostileText(60)).map((value) => ({ kind: 'text' as const, value })) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1_000, maxLength: 4_000 }).map((value) => ({ kind: 'text' as const, value })) },
  { weight: 2, arbitrary: fc.constantFrom({ kind: 'absent' as const }, { kind: 'text' as const, value: null }, { kind: 'text' as const, value: '' }) },
);

/** A page whose envelope is the documented one (any events in it), or an answer no client can read as a page. */
const envelope = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant('page' as const),
      next: metaNext,
      pageSize: fc.oneof(fc.constant(undefined), fc.constantFrom(null, 0, 1, 2, 5, 500, -1, 1e308, 0.5)),
      links: fc.oneof(fc.constant(undefined), fc.constant(null), fc.record({ self: fc.constant('https://api.example/self'), next: fc.oneof(fc.constant(undefined), fc.constant(null), fc.webUrl()) }, { requiredKeys: ['self'] })),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom('not-json', 'cut-short', 'data-not-an-array', 'next-not-text', 'page-size-not-a-number', 'array', 'null', 'empty').map((kind) => ({ kind })) },
);

export interface HostilePage {
  /** The checkpoint's cursor before the page: what the request is made with (null: the first page, asked by time). */
  startCursor: string | null;
  /** The answer's text, deep values still marks (expandDeepValues makes it the text served). */
  body: string;
  /** Whether the body is a readable page envelope: such a page must commit, whatever its events hold. */
  readable: boolean;
  /** meta.next as served, when the body is a readable page. */
  next?: string | null;
}

/** Cursors a previous page could have left in the checkpoint (PostgreSQL text, so no NUL). */
const startCursor = fc.oneof(fc.constant(null), fc.uuid(), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 200 }));

export const hostilePage: fc.Arbitrary<HostilePage> = fc
  .record({
    startCursor,
    events: fc.array(hostileEvent, { maxLength: 12 }),
    oversized: fc.oneof({ weight: 30, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: oversized }),
    envelope,
  })
  .map(({ startCursor, events, oversized: big, envelope: shape }) => {
    if (big && events.length > 0) plant(events, big);
    const data = JSON.stringify(events);
    switch (shape.kind) {
      case 'page': {
        const next = shape.next.kind === 'own' ? startCursor : shape.next.kind === 'absent' ? undefined : shape.next.value;
        const meta = objectOf({ next: next === undefined ? undefined : { value: next }, page_size: shape.pageSize === undefined ? undefined : { value: shape.pageSize } });
        const links = shape.links === undefined ? '' : `,"links":${JSON.stringify(shape.links)}`;
        return { startCursor, body: `{"data":${data},"meta":${JSON.stringify(meta)}${links}}`, readable: true, next: next ?? null };
      }
      case 'not-json':
        return { startCursor, body: `<html>${data.slice(0, 100)}</html>`, readable: false };
      case 'cut-short':
        return { startCursor, body: `{"data":${data}`.slice(0, Math.max(1, data.length / 2)), readable: false };
      case 'data-not-an-array':
        return { startCursor, body: `{"data":{"events":${data}}}`, readable: false };
      case 'next-not-text':
        return { startCursor, body: `{"data":${data},"meta":{"next":42}}`, readable: false };
      case 'page-size-not-a-number':
        return { startCursor, body: `{"data":${data},"meta":{"page_size":"500"}}`, readable: false };
      case 'array':
        return { startCursor, body: data, readable: false };
      case 'null':
        return { startCursor, body: 'null', readable: false };
      default:
        return { startCursor, body: '', readable: false };
    }
  });

/** Header text as HTTP carries it (printable ASCII, as the simulator's control API takes it). */
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 });

/** Every form a rate-limit time or count is sent in, and nonsense: deltas, epochs, ISO and HTTP dates, numbers JS reads oddly. */
const rateLimitValue = fc.oneof(
  fc.integer({ min: 0, max: 4_000 }).map(String),
  fc.nat().map(String),
  fc.integer({ min: -3_600, max: 7_200 }).map((s) => String(Math.floor(NOW_MS / 1000) + s)),
  fc.integer({ min: -3_600_000, max: 7_200_000 }).map((ms) => String(NOW_MS + ms)),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom('2.5', '1e20', '-5', '3600', '0x10', ' 7 ', '', '   ', 'NaN', 'Infinity', '9'.repeat(1_000), '0000-01-01T00:00Z', '9999-12-31T23:59:59Z'),
  isoAt(fc.integer({ min: -DAY_MS, max: 1_000 * YEAR_MS })),
  isoAt(fc.integer({ min: -3_600_000, max: 7_200_000 })).map((iso) => `${iso.slice(0, 16)}Z`),
  isoAt(fc.integer({ min: -DAY_MS, max: 100 * YEAR_MS })).map((iso) => new Date(iso).toUTCString()),
  printable,
);

export const hostileRateLimit = fc.record({
  headers: fc.record({ 'X-RateLimit-Remaining': rateLimitValue, 'X-RateLimit-Reset': rateLimitValue, 'Retry-After': rateLimitValue }, { requiredKeys: [] }),
  /** The answer is a 429 (its headers then say when to come back) instead of the page. */
  throttled: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});
