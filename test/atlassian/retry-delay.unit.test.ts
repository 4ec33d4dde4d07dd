import { RateLimitedError } from '../../atlassian/errors';
import {
  backoffWithJitterMs,
  MAX_RATE_LIMIT_DELAY_MS,
  MIN_RATE_LIMIT_DELAY_MS,
  parseRateLimitResetMs,
  parseRetryAfterMs,
  parseTimeHint,
  rateLimitDelayFromHeaders,
  rateLimitWindow,
} from '../../atlassian/retry-delay';

const NOW = Date.UTC(2023, 9, 11, 12, 34, 20); // 2023-10-11T12:34:20Z

describe('Retry-After', () => {
  it('reads delta seconds', () => {
    expect(parseRetryAfterMs('30', NOW)).toBe(30_000);
    expect(parseRetryAfterMs(' 2.5 ', NOW)).toBe(2_500);
  });

  it('reads an HTTP date', () => {
    expect(parseRetryAfterMs('Wed, 11 Oct 2023 12:35:00 GMT', NOW)).toBe(40_000);
  });

  it('never asks for less than the floor or more than the ceiling', () => {
    expect(parseRetryAfterMs('0', NOW)).toBe(MIN_RATE_LIMIT_DELAY_MS);
    expect(parseRetryAfterMs('Wed, 11 Oct 2023 12:00:00 GMT', NOW)).toBe(MIN_RATE_LIMIT_DELAY_MS);
    expect(parseRetryAfterMs('999999', NOW)).toBe(MAX_RATE_LIMIT_DELAY_MS);
  });

  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfterMs(null, NOW)).toBeNull();
    expect(parseRetryAfterMs('', NOW)).toBeNull();
    expect(parseRetryAfterMs('soon', NOW)).toBeNull();
    expect(parseRetryAfterMs('-5', NOW)).toBeNull();
  });
});

describe('X-RateLimit-Reset', () => {
  it('reads the minute-precision form seen from Atlassian', () => {
    expect(parseRateLimitResetMs('2023-10-11T12:36Z', NOW)).toBe(100_000);
  });

  it('takes a minute that has already begun to end with that minute', () => {
    expect(parseRateLimitResetMs('2023-10-11T12:34Z', NOW)).toBe(40_000);
  });

  it('reads full ISO times, epoch seconds and small deltas', () => {
    expect(parseRateLimitResetMs('2023-10-11T12:34:50.000Z', NOW)).toBe(30_000);
    expect(parseRateLimitResetMs(String(NOW / 1000 + 15), NOW)).toBe(15_000);
    expect(parseRateLimitResetMs('12', NOW)).toBe(12_000);
  });

  it('falls back to the floor for a full-precision time in the past, and ignores garbage', () => {
    expect(parseRateLimitResetMs('2023-10-11T12:00:00Z', NOW)).toBe(MIN_RATE_LIMIT_DELAY_MS);
    expect(parseRateLimitResetMs('whenever', NOW)).toBeNull();
    expect(parseRateLimitResetMs(undefined, NOW)).toBeNull();
  });

  it('prefers Retry-After over X-RateLimit-Reset, and gives null without either', () => {
    const both = new Headers({ 'Retry-After': '7', 'X-RateLimit-Reset': '2023-10-11T12:36Z' });
    expect(rateLimitDelayFromHeaders(both, NOW)).toBe(7_000);
    expect(rateLimitDelayFromHeaders(new Headers({ 'X-RateLimit-Reset': '2023-10-11T12:36Z' }), NOW)).toBe(100_000);
    expect(rateLimitDelayFromHeaders(new Headers({ 'X-RateLimit-Remaining': '0' }), NOW)).toBeNull();
  });
});

describe('one parser for every time hint, by shape', () => {
  const at = (iso: string) => Date.parse(iso);
  it.each([
    ['delta seconds', '3600', NOW + 3_600_000],
    ['delta seconds with a fraction', '2.5', NOW + 2_500],
    ['epoch seconds', String(NOW / 1000 + 15), NOW + 15_000],
    ['epoch milliseconds', String(NOW + 15_000), NOW + 15_000],
    ['a minute-precision ISO time', '2023-10-11T12:36Z', at('2023-10-11T12:36:00Z')],
    ['a minute-precision ISO time whose minute has begun', '2023-10-11T12:34Z', at('2023-10-11T12:35:00Z')],
    ['a full ISO time with an offset', '2023-10-11T14:34:50+02:00', NOW + 30_000],
    ['an ISO time in the year 3600', '3600-01-01T00:00Z', at('3600-01-01T00:00:00Z')],
    ['an IMF HTTP date', 'Wed, 11 Oct 2023 12:35:00 GMT', at('2023-10-11T12:35:00Z')],
    ['an RFC 850 HTTP date', 'Wednesday, 11-Oct-23 12:35:00 GMT', at('2023-10-11T12:35:00Z')],
    ['an asctime HTTP date', 'Wed Oct 11 12:35:00 2023', at('2023-10-11T12:35:00Z')],
  ])('reads %s', (_form, value, expected) => {
    expect(parseTimeHint(value, NOW)).toBe(expected);
  });

  it.each([['-5'], ['1e20'], ['NaN'], ['Infinity'], ['soon'], ['3600 seconds'], ['99999999999999999'], ['2023-13-45T99:99Z'], ['0x10'], [''], ['  ']])(
    'refuses %j',
    (value) => {
      expect(parseTimeHint(value, NOW)).toBeNull();
    },
  );
});

describe('a rate-limit window from the headers of a success', () => {
  it('takes a sane window', () => {
    expect(rateLimitWindow('42', '2023-10-11T12:35Z', NOW)).toEqual({ window: { remaining: 42, resetsAtMs: Date.parse('2023-10-11T12:35:00Z') } });
    expect(rateLimitWindow('0', '3600', NOW)).toEqual({ window: { remaining: 0, resetsAtMs: NOW + 3_600_000 } });
  });

  it('says nothing of a window without both headers, or one that already reset', () => {
    expect(rateLimitWindow(null, '30', NOW)).toEqual({});
    expect(rateLimitWindow('5', null, NOW)).toEqual({});
    expect(rateLimitWindow('5', '2023-10-11T12:00:00Z', NOW)).toEqual({});
  });

  it('reads a minute-precision Reset that names the minute just begun as a window that reset, not one a minute away', () => {
    const turned = Date.UTC(2023, 9, 11, 12, 35, 0, 300);
    expect(rateLimitWindow('0', '2023-10-11T12:35Z', turned)).toEqual({});
    // Later in the minute it names, it is that minute's end, as before.
    expect(rateLimitWindow('0', '2023-10-11T12:35Z', turned + 5_000)).toEqual({ window: { remaining: 0, resetsAtMs: Date.parse('2023-10-11T12:36:00Z') } });
  });

  it.each([
    ['2.5', '30', /X-RateLimit-Remaining "2.5" is not a whole number/],
    ['1e20', '30', /X-RateLimit-Remaining "1e20"/],
    ['-1', '30', /X-RateLimit-Remaining "-1"/],
    ['99999999', '30', /X-RateLimit-Remaining "99999999"/],
    ['lots', '30', /X-RateLimit-Remaining "lots"/],
    ['5', '3601', /X-RateLimit-Reset "3601" is more than 60 minutes away/],
    ['5', '3600-01-01T00:00Z', /X-RateLimit-Reset "3600-01-01T00:00Z" is more than 60 minutes away/],
    ['5', '99999999999', /X-RateLimit-Reset "99999999999" is more than/],
    ['5', 'tomorrow', /X-RateLimit-Reset "tomorrow" is not a time/],
    ['5', '-30', /X-RateLimit-Reset "-30" is not a time/],
  ])('ignores Remaining %j with Reset %j, and says why', (remaining, reset, why) => {
    const { window, ignored } = rateLimitWindow(remaining, reset, NOW);
    expect(window).toBeUndefined();
    expect(ignored).toMatch(why);
  });

  it('quotes a long or odd header value short and on one line', () => {
    const { ignored } = rateLimitWindow('5', `x${'\n'.repeat(100)}`, NOW);
    expect(ignored!.length).toBeLessThan(200);
  });
});

describe('a 429', () => {
  it('reads its hints by the same parser, waits at most an hour whatever they say, and backs off when they are nonsense', () => {
    // An ISO time in Retry-After was no hint at all before: the 429 then backed off instead of waiting as told.
    expect(rateLimitDelayFromHeaders(new Headers({ 'Retry-After': '2023-10-11T12:36Z' }), NOW)).toBe(100_000);
    for (const value of ['3600-01-01T00:00Z', '99999999999', '999999', 'Fri, 31 Dec 9999 23:59:59 GMT']) {
      expect(rateLimitDelayFromHeaders(new Headers({ 'Retry-After': value }), NOW)).toBe(MAX_RATE_LIMIT_DELAY_MS);
      expect(rateLimitDelayFromHeaders(new Headers({ 'X-RateLimit-Reset': value }), NOW)).toBe(MAX_RATE_LIMIT_DELAY_MS);
    }
    expect(rateLimitDelayFromHeaders(new Headers({ 'Retry-After': '1e20', 'X-RateLimit-Reset': 'never' }), NOW)).toBeNull();
  });
});

describe('backoff with jitter', () => {
  it('doubles per attempt with a jitter of half the step', () => {
    expect(backoffWithJitterMs(1, () => 0)).toBe(500);
    expect(backoffWithJitterMs(1, () => 0.999999)).toBe(1_000);
    expect(backoffWithJitterMs(4, () => 0)).toBe(4_000);
    expect(backoffWithJitterMs(4, () => 0.999999)).toBe(8_000);
  });

  it('is capped, also for absurd attempt numbers', () => {
    expect(backoffWithJitterMs(50, () => 0.999999)).toBe(300_000);
    expect(backoffWithJitterMs(1e9, () => 0)).toBe(150_000);
  });

  it('spreads retries of the same attempt', () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffWithJitterMs(5)));
    expect(delays.size).toBeGreaterThan(1);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(8_000);
      expect(delay).toBeLessThanOrEqual(16_000);
    }
  });

  it('is what a 429 without any hint waits', () => {
    const hinted = new RateLimitedError({ status: 429, code: 'ADMIN-429-1', message: 'limited', retryAfterMs: 12_000 });
    const unhinted = new RateLimitedError({ status: 429, code: 'ADMIN-429-1', message: 'limited', retryAfterMs: null });
    expect(hinted.delayMs(6)).toBe(12_000);
    const delay = unhinted.delayMs(3);
    expect(delay).toBeGreaterThanOrEqual(2_000);
    expect(delay).toBeLessThanOrEqual(4_000);
  });
});
