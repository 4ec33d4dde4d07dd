/**
 * How long until a source's next poll. Each source polls on a grid of its own: every interval, at an offset within it
 * that derives from the source's id. The period is then exactly the interval (a cycle's own duration does not add to
 * it), and thousands of sources started together spread over the interval instead of polling in the same second.
 */
export function untilNextGridPoint(sourceId: string, intervalMs: number, cycleStartedAt: number, now: number): number {
  const offset = hash32(sourceId) % intervalMs;
  // The first grid point after the cycle began; when the cycle outlasted it, the latest one passed (polled at once).
  const after = Math.max(cycleStartedAt, now - intervalMs + 1);
  const next = offset + Math.ceil((after - offset + 1) / intervalMs) * intervalMs;
  return Math.max(next - now, 0);
}

/** FNV-1a: a stable spread of ids over 32 bits, the same on every replay. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
