import type { RateLimitWindow } from '../atlassian/retry-delay';

// What a limiter gives back over time, learned from the responses themselves: Atlassian documents neither its
// algorithm nor its refill, and runs different limiters per API. Between two responses of one window (the same
// X-RateLimit-Reset) the limiter handed out `Remaining now - Remaining then + requests sent in between`: nothing for a
// fixed window, the refill for a token bucket. The requests are counted by the order they were sent in (a response
// may come back before an earlier one), so the count does not depend on which answer arrived first.

/** Responses whose Reset differs by less than this name the same window (a delta-seconds Reset drifts by rounding). */
const SAME_RESET_MS = 1_000;
/**
 * Taken off what each window is seen to hand out: Remaining may be rounded down, and a request of this process may
 * fail before the limiter counted it. Learning too little costs some pace; learning a refill a fixed window does not
 * give would cost a 429 each window.
 */
const UNCERTAIN_REQUESTS = 1;
/** Less observed time than this says nothing yet: one late response could then look like a fast refill. */
const LEAST_OBSERVED_MS = 2_000;

/** Handed out over an observed stretch of one window. */
interface Stretch {
  handedOut: number;
  spanMs: number;
}

interface WindowSeen {
  resetsAtMs: number;
  firstMs: number;
  firstRemaining: number;
  firstSequence: number;
  stretch: Stretch;
}

/**
 * Per budget, a lower bound of the limiter's refill (requests a second), from the last two windows this process saw.
 * Requests that other workers send are not counted, so with several workers on one organization each learns less
 * than the refill: the pace errs slow, never into 429s.
 */
export class RefillRate {
  readonly #budgets = new Map<string, { current: WindowSeen; previous: Stretch | null }>();

  /** A response that says `window`, to the request sent `sequence`-th of the budget (ApiPacer counts them). */
  observe(budget: string, window: RateLimitWindow, sequence: number, nowMs: number): number {
    const seen = this.#budgets.get(budget);
    if (!seen || Math.abs(window.resetsAtMs - seen.current.resetsAtMs) >= SAME_RESET_MS) {
      const previous = seen && seen.current.stretch.spanMs >= LEAST_OBSERVED_MS ? seen.current.stretch : (seen?.previous ?? null);
      const current = { resetsAtMs: window.resetsAtMs, firstMs: nowMs, firstRemaining: window.remaining, firstSequence: sequence, stretch: { handedOut: 0, spanMs: 0 } };
      this.#budgets.set(budget, { current, previous });
      return refillOf([previous]);
    }
    const { current } = seen;
    // Only later requests extend the stretch: an earlier one's answer says less than the one already seen.
    if (sequence > current.firstSequence && nowMs > current.firstMs) {
      current.stretch = { handedOut: window.remaining - current.firstRemaining + (sequence - current.firstSequence), spanMs: nowMs - current.firstMs };
    }
    return refillOf([seen.previous, current.stretch]);
  }
}

/** Requests a second over the stretches, each less its uncertainty; 0 until enough time was observed. */
export function refillOf(stretches: ReadonlyArray<Stretch | null>): number {
  const known = stretches.filter((s): s is Stretch => s !== null && s.spanMs > 0);
  const spanMs = known.reduce((sum, s) => sum + s.spanMs, 0);
  if (spanMs < LEAST_OBSERVED_MS) return 0;
  const handedOut = known.reduce((sum, s) => sum + Math.max(0, s.handedOut - UNCERTAIN_REQUESTS), 0);
  return (handedOut * 1000) / spanMs;
}
