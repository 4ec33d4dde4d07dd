/**
 * How a 429 tells the client when to come back. Atlassian has been seen to send each of the first three; `none`
 * sends no rate-limit header at all, which leaves the client to its own backoff.
 */
export const RATE_LIMIT_FORMS = ['retry-after-seconds', 'retry-after-date', 'reset-only', 'none'] as const;
export type RateLimitForm = (typeof RATE_LIMIT_FORMS)[number];

/** The rate-limit headers a response may carry, as the limiter spells them. */
export const RATE_LIMIT_HEADERS = ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;
export type RateLimitHeader = (typeof RATE_LIMIT_HEADERS)[number];

export interface RateLimitSettings {
  requestsPerMinute: number;
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

/** Fixed one-minute windows per API key, aligned to the clock minute, so the reset time is a whole minute. */
export class RateLimiter {
  settings: RateLimitSettings;
  /** Requests answered with 429 so far, for benchmarks of the client's pacing. */
  refused = 0;
  readonly #windows = new Map<string, { startMs: number; count: number }>();

  constructor(settings: RateLimitSettings) {
    this.settings = settings;
  }

  take(key: string, nowMs: number): RateLimitDecision {
    const startMs = nowMs - (nowMs % 60_000);
    let window = this.#windows.get(key);
    if (!window || window.startMs !== startMs) {
      window = { startMs, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    const resetMs = startMs + 60_000;
    const headers = this.#headers(Math.max(0, this.settings.requestsPerMinute - window.count), resetMs);
    if (window.count <= this.settings.requestsPerMinute) return { limited: false, headers: this.#overridden(headers) };
    return this.#refusal(headers, resetMs, nowMs);
  }

  /** A 429 as a spent window gives it, whatever the count: the `rate-limited` fault. */
  refuse(nowMs: number): RateLimitDecision {
    const startMs = nowMs - (nowMs % 60_000);
    const resetMs = startMs + 60_000;
    return this.#refusal(this.#headers(0, resetMs), resetMs, nowMs);
  }

  #headers(remaining: number, resetMs: number): Record<string, string> {
    return { 'X-RateLimit-Limit': String(this.settings.requestsPerMinute), 'X-RateLimit-Remaining': String(remaining), 'X-RateLimit-Reset': minutePrecisionIso(resetMs) };
  }

  #overridden(headers: Record<string, string>): Record<string, string> {
    return { ...headers, ...this.settings.headers };
  }

  #refusal(headers: Record<string, string>, resetMs: number, nowMs: number): RateLimitDecision {
    this.refused++;
    const refusal = this.#refusalHeaders(headers, resetMs, nowMs);
    return { limited: true, headers: this.settings.form === 'none' ? refusal : this.#overridden(refusal) };
  }

  #refusalHeaders(headers: Record<string, string>, resetMs: number, nowMs: number): Record<string, string> {
    switch (this.settings.form) {
      case 'retry-after-seconds':
        return { ...headers, 'Retry-After': String(Math.ceil((resetMs - nowMs) / 1000)) };
      case 'retry-after-date':
        return { ...headers, 'Retry-After': new Date(resetMs).toUTCString() };
      case 'reset-only':
        return headers;
      case 'none':
        return {};
    }
  }

  reset(): void {
    this.#windows.clear();
  }
}
