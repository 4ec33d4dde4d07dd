/**
 * How a 429 tells the client when to come back. Atlassian has been seen to send each of the first three; `none`
 * sends no rate-limit header at all, which leaves the client to its own backoff.
 */
export const RATE_LIMIT_FORMS = ['retry-after-seconds', 'retry-after-date', 'reset-only', 'none'] as const;
export type RateLimitForm = (typeof RATE_LIMIT_FORMS)[number];

/**
 * How the limit is counted. Atlassian documents neither, and runs different limiters per API, so the client must use
 * either fully without knowing which it faces: `fixed-window` counts requests per clock-aligned window;
 * `token-bucket` starts full with a window's worth of requests and refills evenly, a window's worth per window. Both
 * send the same headers: Remaining is what is left (the bucket's level), Reset the next window boundary.
 */
export const RATE_LIMIT_KINDS = ['fixed-window', 'token-bucket'] as const;
export type RateLimitKind = (typeof RATE_LIMIT_KINDS)[number];

/** The rate-limit headers a response may carry, as the limiter spells them. */
export const RATE_LIMIT_HEADERS = ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;
export type RateLimitHeader = (typeof RATE_LIMIT_HEADERS)[number];

export const MINUTE_MS = 60_000;

export interface RateLimitSettings {
  kind: RateLimitKind;
  requestsPerMinute: number;
  /**
   * The window, a minute as Atlassian's. A benchmark shortens it to scale time: the rate stays `requestsPerMinute`,
   * and a window (the bucket's size too) holds that rate's share of it, which must be a whole number of requests.
   */
  windowMs: number;
  form: RateLimitForm;
  /**
   * Values sent instead of the limiter's own, on every response that carries rate-limit headers (successes and 429s
   * alike): to play a broken or hostile API (`X-RateLimit-Reset: 3600`, `X-RateLimit-Remaining: 1e20`). Null: none.
   */
  headers?: Partial<Record<RateLimitHeader, string>> | null;
}

export interface RateLimitDecision {
  limited: boolean;
  headers: Record<string, string>;
}

/** `2023-10-11T12:34Z`: the minute-precision form seen in X-RateLimit-Reset. */
export function minutePrecisionIso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** Requests a window holds: the per-minute rate's share of it; not a whole number when the settings make no sense. */
export function requestsPerWindow(settings: Pick<RateLimitSettings, 'requestsPerMinute' | 'windowMs'>): number {
  return (settings.requestsPerMinute * settings.windowMs) / MINUTE_MS;
}

/** Why settings cannot be played (a window that holds no whole number of requests), or null when they can. */
export function rateLimitProblem(settings: Pick<RateLimitSettings, 'requestsPerMinute' | 'windowMs'>): string | null {
  const perWindow = requestsPerWindow(settings);
  if (Number.isInteger(perWindow) && perWindow >= 1) return null;
  return `${settings.requestsPerMinute} requests a minute make ${perWindow} per ${settings.windowMs} ms window: a window must hold a whole number of requests, at least 1`;
}

/** The limit per API key, as a fixed window or a token bucket (RATE_LIMIT_KINDS). */
export class RateLimiter {
  settings: RateLimitSettings;
  /** Requests answered with 429 so far, for benchmarks of the client's pacing. */
  refused = 0;
  readonly #windows = new Map<string, { startMs: number; count: number }>();
  readonly #buckets = new Map<string, { level: number; atMs: number }>();

  constructor(settings: RateLimitSettings) {
    this.settings = settings;
  }

  take(key: string, nowMs: number): RateLimitDecision {
    return this.settings.kind === 'token-bucket' ? this.#takeToken(key, nowMs) : this.#countInWindow(key, nowMs);
  }

  /** A 429 as a spent limit gives it, whatever the count: the `rate-limited` fault. */
  refuse(nowMs: number): RateLimitDecision {
    const resetMs = this.#resetMs(nowMs);
    const retryAtMs = this.settings.kind === 'token-bucket' ? nowMs + this.settings.windowMs / this.#limit() : resetMs;
    return this.#refusal(this.#headers(0, resetMs), retryAtMs, nowMs);
  }

  /**
   * The most requests this limiter answers over a run of `durationMs` that starts on a window boundary with an unused
   * key, at its steady rate (a last partial window counts pro rata): the bucket adds the burst it starts with.
   */
  allowedRequests(durationMs: number): number {
    const steady = (this.#limit() * durationMs) / this.settings.windowMs;
    return this.settings.kind === 'token-bucket' ? this.#limit() + steady : steady;
  }

  reset(): void {
    this.#windows.clear();
    this.#buckets.clear();
  }

  #countInWindow(key: string, nowMs: number): RateLimitDecision {
    const startMs = nowMs - (nowMs % this.settings.windowMs);
    let window = this.#windows.get(key);
    if (!window || window.startMs !== startMs) {
      window = { startMs, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    const resetMs = this.#resetMs(nowMs);
    const headers = this.#headers(Math.max(0, this.#limit() - window.count), resetMs);
    if (window.count <= this.#limit()) return { limited: false, headers: this.#overridden(headers) };
    return this.#refusal(headers, resetMs, nowMs);
  }

  #takeToken(key: string, nowMs: number): RateLimitDecision {
    const size = this.#limit();
    const perMs = size / this.settings.windowMs;
    const bucket = this.#buckets.get(key) ?? { level: size, atMs: nowMs };
    bucket.level = Math.min(size, bucket.level + Math.max(0, nowMs - bucket.atMs) * perMs);
    bucket.atMs = nowMs;
    this.#buckets.set(key, bucket);
    const refused = bucket.level < 1;
    // A refused request takes no token: the bucket holds what it held, and the next token is (1 - level) away.
    if (!refused) bucket.level -= 1;
    const headers = this.#headers(Math.floor(bucket.level), this.#resetMs(nowMs));
    if (!refused) return { limited: false, headers: this.#overridden(headers) };
    return this.#refusal(headers, nowMs + (1 - bucket.level) / perMs, nowMs);
  }

  #limit(): number {
    return requestsPerWindow(this.settings);
  }

  /** The next window boundary; for a minute window, the next clock minute, as Atlassian's X-RateLimit-Reset. */
  #resetMs(nowMs: number): number {
    return nowMs - (nowMs % this.settings.windowMs) + this.settings.windowMs;
  }

  #headers(remaining: number, resetMs: number): Record<string, string> {
    // Minute precision as Atlassian sends it; a window shortened for a benchmark needs the seconds too.
    const reset = resetMs % MINUTE_MS === 0 ? minutePrecisionIso(resetMs) : new Date(resetMs).toISOString();
    return { 'X-RateLimit-Limit': String(this.#limit()), 'X-RateLimit-Remaining': String(remaining), 'X-RateLimit-Reset': reset };
  }

  #overridden(headers: Record<string, string>): Record<string, string> {
    return { ...headers, ...this.settings.headers };
  }

  #refusal(headers: Record<string, string>, retryAtMs: number, nowMs: number): RateLimitDecision {
    this.refused++;
    const refusal = this.#refusalHeaders(headers, retryAtMs, nowMs);
    return { limited: true, headers: this.settings.form === 'none' ? refusal : this.#overridden(refusal) };
  }

  #refusalHeaders(headers: Record<string, string>, retryAtMs: number, nowMs: number): Record<string, string> {
    // Whole seconds, rounded up: a client that comes back when told must find the limit open again.
    const retryAtSecond = Math.ceil(retryAtMs / 1000) * 1000;
    switch (this.settings.form) {
      case 'retry-after-seconds':
        return { ...headers, 'Retry-After': String(Math.ceil((retryAtMs - nowMs) / 1000)) };
      case 'retry-after-date':
        return { ...headers, 'Retry-After': new Date(retryAtSecond).toUTCString() };
      case 'reset-only':
        return headers;
      case 'none':
        return {};
    }
  }
}
