// The pace of an organization's next requests after a response, for whatever limiter sent it. The response says
// what remains and when its window resets; the refill (RefillRate) says what comes back meanwhile. The next requests
// spread both over the time to the reset: a fixed window (no refill) spends exactly what remains, and a token bucket
// spends its burst on top of its refill, where spreading Remaining alone and then waiting for the reset would use about
// half of it.

export interface PacePlan {
  /** Between the slots that follow. */
  spacingMs: number;
  /** How long that spacing holds; past it, slots follow each other until a response says more. */
  spacingForMs: number;
  /** No request before this long from now: nothing is left to spend until then. Null: the next slot stands. */
  holdMs: number | null;
}

/** What a response said, and what the pacer knew when it came back. */
export interface PaceInput {
  remaining: number;
  resetsInMs: number;
  /** Requests a second the limiter is seen to give back (0: none seen). */
  refillPerSecond: number;
  /** Requests of the budget sent or given a slot after the one answered: they spend what it saw remain. */
  sentSince: number;
  /** Until the next free slot: the slots already given out run until then. */
  aheadMs: number;
}

export function paceAfter({ remaining, resetsInMs, refillPerSecond, sentSince, aheadMs }: PaceInput): PacePlan {
  const left = remaining - sentSince;
  if (refillPerSecond <= 0) {
    // Nothing comes back before the reset: what is left is all there is, and the reset is the next request's slot.
    if (left <= 0) return { spacingMs: resetsInMs, spacingForMs: resetsInMs, holdMs: resetsInMs };
    return { spacingMs: Math.max(0, resetsInMs - aheadMs) / left, spacingForMs: resetsInMs, holdMs: null };
  }
  const refillIntervalMs = 1000 / refillPerSecond;
  // A limiter that refills keeps its pace past the reset, until the next response sets it anew.
  const spacingForMs = resetsInMs + 2 * refillIntervalMs;
  if (left <= 0) return { spacingMs: refillIntervalMs, spacingForMs, holdMs: (1 - left) * refillIntervalMs };
  // The refill, plus what is left and what comes back while the given slots run, spread over the rest of the window:
  // never more than has come back at any moment before the reset.
  const spreadMs = resetsInMs - aheadMs;
  if (spreadMs <= 0) return { spacingMs: refillIntervalMs, spacingForMs, holdMs: null };
  const surplus = left + (refillPerSecond * aheadMs) / 1000;
  return { spacingMs: 1000 / (refillPerSecond + surplus / (spreadMs / 1000)), spacingForMs, holdMs: null };
}
