import { RateLimitedError } from '../../atlassian/errors';
import {
  backoffWithJitterMs,
  MAX_RATE_LIMIT_DELAY_MS,
  MIN_RATE_LIMIT_DELAY_MS,
  parseRateLimitResetMs,
  parseRetryAfterMs,
  rateLimitDelayFromHeaders,
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
