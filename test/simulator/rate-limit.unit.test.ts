import { RateLimiter, type RateLimitSettings } from '../../simulator/rate-limit';

// The simulator's limiters, driven by a clock the test sets: the token bucket the pacing must use fully although it
// sends the same headers as the fixed window.

const MINUTE_START = Date.UTC(2023, 9, 11, 12, 34); // 2023-10-11T12:34:00Z

const limiter = (settings: Partial<RateLimitSettings> = {}) =>
  new RateLimiter({ kind: 'token-bucket', requestsPerMinute: 60, windowMs: 60_000, form: 'retry-after-seconds', ...settings });

/** Takes `count` requests at `atMs` and returns their decisions. */
const takeMany = (rl: RateLimiter, count: number, atMs: number, key = 'k') => Array.from({ length: count }, () => rl.take(key, atMs));

describe('the token bucket', () => {
  it('starts full: Remaining is its level, Reset the next clock minute in minute precision', () => {
    const rl = limiter();
    const answered = takeMany(rl, 60, MINUTE_START + 20_000);
    expect(answered.every((d) => !d.limited)).toBe(true);
    expect(answered[0].headers).toEqual({ 'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '59', 'X-RateLimit-Reset': '2023-10-11T12:35Z' });
    expect(answered.map((d) => d.headers['X-RateLimit-Remaining']).slice(-3)).toEqual(['2', '1', '0']);
  });

  it('refuses when empty with the wait for the next token, and a refusal takes no token', () => {
    const rl = limiter();
    takeMany(rl, 60, MINUTE_START + 20_000);
    const refused = rl.take('k', MINUTE_START + 20_000);
    expect(refused).toEqual({
      limited: true,
      headers: { 'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '2023-10-11T12:35Z', 'Retry-After': '1' },
    });
    // Half a token has come in: still refused, and told to come back when the other half has.
    expect(rl.take('k', MINUTE_START + 20_500)).toMatchObject({ limited: true, headers: { 'Retry-After': '1' } });
    expect(rl.take('k', MINUTE_START + 21_000)).toMatchObject({ limited: false, headers: { 'X-RateLimit-Remaining': '0' } });
    expect(rl.refused).toBe(2);
  });

  it('refills one request a second at 60 a minute, long before the Reset it names, and never past full', () => {
    const rl = limiter();
    takeMany(rl, 60, MINUTE_START);
    const later = takeMany(rl, 31, MINUTE_START + 30_000);
    expect(later.filter((d) => !d.limited)).toHaveLength(30);
    expect(later[0].headers['X-RateLimit-Reset']).toBe('2023-10-11T12:35Z');
    // An hour idle fills it to its size, no further.
    expect(takeMany(rl, 61, MINUTE_START + 3_600_000).filter((d) => !d.limited)).toHaveLength(60);
  });

  it('keeps a bucket per key', () => {
    const rl = limiter();
    takeMany(rl, 60, MINUTE_START);
    expect(rl.take('k', MINUTE_START).limited).toBe(true);
    expect(rl.take('other', MINUTE_START).limited).toBe(false);
  });

  it.each([
    ['retry-after-date', { 'Retry-After': 'Wed, 11 Oct 2023 12:34:22 GMT', 'X-RateLimit-Reset': '2023-10-11T12:35Z' }],
    ['reset-only', { 'X-RateLimit-Reset': '2023-10-11T12:35Z' }],
  ] as const)('says when to come back in the %s form too', (form, expected) => {
    const rl = limiter({ form });
    takeMany(rl, 60, MINUTE_START + 20_500);
    const refused = rl.take('k', MINUTE_START + 20_500);
    expect(refused.limited).toBe(true);
    expect(refused.headers).toMatchObject(expected);
    if (form === 'reset-only') expect(refused.headers['Retry-After']).toBeUndefined();
  });

  it('answers as a spent bucket on the rate-limited fault', () => {
    expect(limiter().refuse(MINUTE_START)).toMatchObject({ limited: true, headers: { 'X-RateLimit-Remaining': '0', 'Retry-After': '1' } });
  });
});

describe('a window shortened to scale time', () => {
  it('keeps the rate: 60 a minute in 10 s windows is a bucket of 10 filling one a second, its Reset with seconds', () => {
    const rl = limiter({ windowMs: 10_000 });
    const answered = takeMany(rl, 11, MINUTE_START + 3_000);
    expect(answered.filter((d) => !d.limited)).toHaveLength(10);
    expect(answered[0].headers).toMatchObject({ 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '9', 'X-RateLimit-Reset': '2023-10-11T12:34:10.000Z' });
    expect(rl.take('k', MINUTE_START + 4_000).limited).toBe(false);
  });

  it('counts a fixed window per shortened window', () => {
    const rl = limiter({ kind: 'fixed-window', windowMs: 10_000 });
    const first = takeMany(rl, 11, MINUTE_START + 3_000);
    expect(first.filter((d) => !d.limited)).toHaveLength(10);
    expect(first[10].headers).toMatchObject({ 'X-RateLimit-Remaining': '0', 'Retry-After': '7' });
    expect(rl.take('k', MINUTE_START + 9_999).limited).toBe(true);
    expect(rl.take('k', MINUTE_START + 10_000)).toMatchObject({ limited: false, headers: { 'X-RateLimit-Remaining': '9' } });
  });
});

describe('the allowed requests of a run', () => {
  it('are the steady rate over its time, plus the burst a bucket starts with', () => {
    expect(limiter({ kind: 'fixed-window' }).allowedRequests(90_000)).toBe(90);
    expect(limiter().allowedRequests(90_000)).toBe(150);
    expect(limiter({ windowMs: 10_000 }).allowedRequests(90_000)).toBe(100);
  });
});
