// How long to wait after a 429. Atlassian sends Retry-After as seconds or as an HTTP date, sometimes only
// X-RateLimit-Reset (seen with minute precision, `2023-10-11T12:34Z`), and sometimes nothing at all.

/** Never hammer the API straight after a 429, even when the server's clock says the window already reset. */
export const MIN_RATE_LIMIT_DELAY_MS = 1_000;
/** A hint further out than this is treated as a server clock problem rather than waited for. */
export const MAX_RATE_LIMIT_DELAY_MS = 60 * 60_000;

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 5 * 60_000;

function clampDelay(ms: number): number {
  return Math.min(MAX_RATE_LIMIT_DELAY_MS, Math.max(MIN_RATE_LIMIT_DELAY_MS, Math.ceil(ms)));
}

/** Retry-After as delta-seconds or HTTP date; null when absent or unreadable. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return clampDelay(Number(text) * 1000);
  // HTTP dates (all three historic formats) start with the day name; Date.parse alone would take "-5" for a year.
  if (!/^[A-Za-z]{3}/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : clampDelay(at - nowMs);
}

const MINUTE_PRECISION_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/i;

/** X-RateLimit-Reset as an ISO time (minute or full precision) or epoch seconds; null when absent or unreadable. */
export function parseRateLimitResetMs(value: string | null | undefined, nowMs: number): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    // Small numbers are a delta in seconds, large ones an epoch (seconds, or milliseconds past year 2286).
    const at = n < 1e9 ? nowMs + n * 1000 : n < 1e12 ? n * 1000 : n;
    return clampDelay(at - nowMs);
  }
  let at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  // `12:34Z` names a minute, not an instant: if that minute has already begun, the window ends with it.
  if (MINUTE_PRECISION_ISO.test(text) && at <= nowMs) at += 60_000;
  return clampDelay(at - nowMs);
}

/** Equal-jitter exponential backoff: half the step is fixed so retries never collapse to zero. */
export function backoffWithJitterMs(attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(exponent, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** The server's wait hint for a 429 response, or null when it gave none. */
export function rateLimitDelayFromHeaders(headers: Headers, nowMs: number): number | null {
  return (
    parseRetryAfterMs(headers.get('retry-after'), nowMs) ?? parseRateLimitResetMs(headers.get('x-ratelimit-reset'), nowMs)
  );
}
