// When the API says to come back. Atlassian sends Retry-After as seconds or as an HTTP date, X-RateLimit-Reset as a
// minute-precision ISO time (`2023-10-11T12:34Z`), proxies send epoch seconds or a delta, and a hostile or broken
// server sends anything. Every such header is read by one parser that tells the forms apart by their shape, and
// every wait it yields is capped: a header can slow a source down, never stop it.

/** Never hammer the API straight after a 429, even when the server's clock says the window already reset. */
export const MIN_RATE_LIMIT_DELAY_MS = 1_000;
/** No hint makes anything wait longer than this: a wait further out is a server clock problem or an attack. */
export const MAX_RATE_LIMIT_DELAY_MS = 60 * 60_000;
/**
 * A minute-precision X-RateLimit-Reset that names a moment this recent names the window that has just reset: the
 * response left before the clock minute turned. Read as the end of the minute that has just begun, its Remaining (often
 * 0 at the end of a window) would hold the organization for a whole minute.
 */
const CROSSED_BOUNDARY_MS = 2_000;
/** X-RateLimit-Remaining above this is not a rate limit anyone runs (Atlassian's is about 50 a minute). */
export const MAX_RATE_LIMIT_REMAINING = 1_000_000;

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 5 * 60_000;

/** Below this a bare number is a delta in seconds (1e9 s is 31 years), up to 1e12 epoch seconds, up to 1e15 epoch ms. */
const EPOCH_SECONDS_FROM = 1e9;
const EPOCH_MILLIS_FROM = 1e12;
const EPOCH_MILLIS_UNTIL = 1e15;

const NUMBER = /^\d{1,16}(\.\d{1,9})?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;
const MINUTE_PRECISION_ISO = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}([Zz]|[+-]\d{2}:?\d{2})$/;
// All three historic HTTP date formats start with the day's name; Date.parse alone would read "-5" or "3600" as years.
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*, ?\d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$|^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Za-z]{3} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * The moment (epoch ms) a time hint names, told apart by shape: delta seconds, epoch seconds, epoch milliseconds,
 * an ISO time (a minute-precision one names the end of its minute once that minute has begun), or an HTTP date.
 * Null when the value is absent or none of these.
 */
export function parseTimeHint(value: string | null | undefined, nowMs: number): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (NUMBER.test(text)) {
    const n = Number(text);
    if (n < EPOCH_SECONDS_FROM) return nowMs + n * 1000;
    if (n < EPOCH_MILLIS_FROM) return n * 1000;
    return n < EPOCH_MILLIS_UNTIL ? n : null;
  }
  if (ISO_TIME.test(text)) {
    const at = Date.parse(text.toUpperCase().replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isNaN(at)) return null;
    return MINUTE_PRECISION_ISO.test(text) && at <= nowMs ? at + 60_000 : at;
  }
  if (HTTP_DATE.test(text)) {
    const at = Date.parse(text);
    return Number.isNaN(at) ? null : at;
  }
  return null;
}

function clampDelay(ms: number): number {
  return Math.min(MAX_RATE_LIMIT_DELAY_MS, Math.max(MIN_RATE_LIMIT_DELAY_MS, Math.ceil(ms)));
}

/** How long a 429's Retry-After asks to wait, within the floor and the ceiling; null when absent or unreadable. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | null {
  const at = parseTimeHint(value, nowMs);
  return at === null ? null : clampDelay(at - nowMs);
}

/** How long until X-RateLimit-Reset, within the floor and the ceiling; null when absent or unreadable. */
export function parseRateLimitResetMs(value: string | null | undefined, nowMs: number): number | null {
  return parseRetryAfterMs(value, nowMs);
}

/** Equal-jitter exponential backoff: half the step is fixed so retries never collapse to zero. */
export function backoffWithJitterMs(attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(exponent, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** The server's wait hint for a 429 response, or null when it gave none. */
export function rateLimitDelayFromHeaders(headers: Headers, nowMs: number): number | null {
  return parseRetryAfterMs(headers.get('retry-after'), nowMs) ?? parseRetryAfterMs(headers.get('x-ratelimit-reset'), nowMs);
}

/** What a successful response's rate-limit headers say of the current window. */
export interface RateLimitWindow {
  remaining: number;
  /** Epoch ms. */
  resetsAtMs: number;
}

/**
 * The window that X-RateLimit-Remaining and X-RateLimit-Reset describe, to pace the requests that follow. `ignored`
 * says, in one line, why headers that were sent cannot be used (Remaining not a whole number in range, Reset not a
 * time or more than the ceiling away): they are then left out rather than trusted. No window without either header,
 * nor for a window that has already reset (a response that crossed the boundary, CROSSED_BOUNDARY_MS).
 */
export function rateLimitWindow(remaining: string | null, reset: string | null, nowMs: number): { window?: RateLimitWindow; ignored?: string } {
  if (remaining === null || reset === null) return {};
  const count = /^\d{1,7}$/.test(remaining.trim()) ? Number(remaining.trim()) : Number.NaN;
  if (!(count <= MAX_RATE_LIMIT_REMAINING)) {
    return { ignored: `X-RateLimit-Remaining ${quote(remaining)} is not a whole number from 0 to ${MAX_RATE_LIMIT_REMAINING}` };
  }
  const resetsAtMs = parseTimeHint(reset, nowMs);
  if (resetsAtMs === null) return { ignored: `X-RateLimit-Reset ${quote(reset)} is not a time, an epoch or a delta in seconds` };
  if (resetsAtMs - nowMs > MAX_RATE_LIMIT_DELAY_MS) {
    return { ignored: `X-RateLimit-Reset ${quote(reset)} is more than ${MAX_RATE_LIMIT_DELAY_MS / 60_000} minutes away` };
  }
  if (MINUTE_PRECISION_ISO.test(reset.trim()) && (parseTimeHint(reset, nowMs - CROSSED_BOUNDARY_MS) ?? Number.POSITIVE_INFINITY) <= nowMs) return {};
  return resetsAtMs > nowMs ? { window: { remaining: count, resetsAtMs } } : {};
}

/** A header value as it may appear in a log line: short, quoted, control characters escaped. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
