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

/**
 * `remaining` and `resetsInMs` as the response said them; `refillPerSecond` as learned (0: none seen);
 * `sentSince`: requests of the budget sent or scheduled after the one answered, which spend what it saw remain.
 */
export function paceAfter(remaining: number, resetsInMs: number, refillPerSecond: number, sentSince: number): PacePlan {
  const left = remaining - sentSince;
  if (refillPerSecond <= 0) {
    // Nothing comes back before the reset: what is left is all there is, and the reset is the next request's slot.
    if (left <= 0) return { spacingMs: resetsInMs, spacingForMs: resetsInMs, holdMs: resetsInMs };
    return { spacingMs: resetsInMs / left, spacingForMs: resetsInMs, holdMs: null };
  }
  const refillIntervalMs = 1000 / refillPerSecond;
  // A limiter that refills keeps its pace past the reset, until the next response sets it anew.
  const spacingForMs = resetsInMs + 2 * refillIntervalMs;
  if (left <= 0) return { spacingMs: refillIntervalMs, spacingForMs, holdMs: (1 - left) * refillIntervalMs };
  return { spacingMs: 1000 / (left / (resetsInMs / 1000) + refillPerSecond), spacingForMs, holdMs: null };
}
