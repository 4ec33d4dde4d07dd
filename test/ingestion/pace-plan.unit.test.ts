import { paceAfter, type PaceInput } from '../../store/pace-plan';
import { refillOf, RefillRate } from '../../store/refill-rate';

// The pacing decisions, as pure functions of what the responses said: the same rules must use a fixed window and a
// token bucket fully, without being told which one answers.

const T0 = Date.UTC(2023, 9, 11, 12, 34);
const RESET = T0 + 60_000;

describe('the refill learned from the responses', () => {
  it('is nothing for a fixed window: Remaining falls by each request sent', () => {
    const refill = new RefillRate();
    let learned = 0;
    for (let i = 0; i < 50; i++) learned = refill.observe('org', { remaining: 59 - i, resetsAtMs: RESET }, i + 1, T0 + i * 1_000);
    expect(learned).toBe(0);
  });

  it('is about the refill of a token bucket, never above it', () => {
    const refill = new RefillRate();
    // One request a second into a bucket refilling one a second: Remaining holds still.
    const learned = Array.from({ length: 20 }, (_, i) => refill.observe('org', { remaining: 59, resetsAtMs: RESET }, i + 1, T0 + i * 1_000));
    expect(learned[19]).toBeGreaterThan(0.9);
    expect(learned[19]).toBeLessThanOrEqual(1);
    expect(Math.max(...learned)).toBeLessThanOrEqual(1);
  });

  it('counts requests by the order they were sent, not the order their answers came back in', () => {
    const refill = new RefillRate();
    // Fixed window: requests 2, 3 and 4 saw 58, 57 and 56, but 2's answer came back last. Counted by the answers, two
    // answers came back between 59 and 58: a refill of one.
    refill.observe('org', { remaining: 59, resetsAtMs: RESET }, 1, T0);
    refill.observe('org', { remaining: 57, resetsAtMs: RESET }, 3, T0 + 2_100);
    refill.observe('org', { remaining: 56, resetsAtMs: RESET }, 4, T0 + 3_100);
    expect(refill.observe('org', { remaining: 58, resetsAtMs: RESET }, 2, T0 + 3_200)).toBe(0);
    expect(refill.observe('org', { remaining: 55, resetsAtMs: RESET }, 5, T0 + 4_000)).toBe(0);
  });

  it('carries what the last window showed into the next one, where Remaining starts again', () => {
    const refill = new RefillRate();
    for (let i = 0; i < 10; i++) refill.observe('org', { remaining: 5, resetsAtMs: RESET }, i + 1, T0 + 50_000 + i * 1_000);
    // The first answer of the next window says nothing by itself, but the refill of the last one still holds.
    expect(refill.observe('org', { remaining: 4, resetsAtMs: RESET + 60_000 }, 11, T0 + 60_100)).toBeGreaterThan(0.8);
    // Budgets are learned apart.
    expect(refill.observe('other', { remaining: 4, resetsAtMs: RESET }, 1, T0)).toBe(0);
  });

  it('says nothing from a short stretch, and takes off what is uncertain', () => {
    expect(refillOf([{ handedOut: 3, spanMs: 1_000 }])).toBe(0);
    expect(refillOf([{ handedOut: 1, spanMs: 10_000 }, null])).toBe(0);
    expect(refillOf([{ handedOut: 11, spanMs: 10_000 }, { handedOut: 6, spanMs: 5_000 }])).toBeCloseTo(1);
  });
});

describe('the pace after a response', () => {
  const answer = (remaining: number, resetsInMs: number, more: Partial<PaceInput> = {}): PaceInput => ({ remaining, resetsInMs, refillPerSecond: 0, sentSince: 0, aheadMs: 0, ...more });

  it('without a refill, spreads what remains over the time to the reset, as a fixed window needs', () => {
    expect(paceAfter(answer(30, 60_000))).toEqual({ spacingMs: 2_000, spacingForMs: 60_000, holdMs: null });
  });

  it('without a refill, waits for the reset when nothing remains', () => {
    expect(paceAfter(answer(0, 20_000))).toEqual({ spacingMs: 20_000, spacingForMs: 20_000, holdMs: 20_000 });
  });

  it('counts the requests given a slot after the one answered as spent, and the time their slots take as gone', () => {
    // 4 remain for 6 s, but one more request has its slot in the next 2 s: 3 for the 4 s after it.
    expect(paceAfter(answer(4, 6_000, { sentSince: 1, aheadMs: 2_000 })).spacingMs).toBeCloseTo(4_000 / 3);
    // Already on its way: it spends the one that remained, and the next request waits for the reset.
    expect(paceAfter(answer(1, 6_000, { sentSince: 1 })).holdMs).toBe(6_000);
  });

  it('with a refill, spends the burst on top of the refill, and keeps the pace past the reset', () => {
    // 59 left and one a second coming back, 59 s to the reset: two a second.
    const plan = paceAfter(answer(59, 59_000, { refillPerSecond: 1 }));
    expect(plan.spacingMs).toBeCloseTo(500);
    expect(plan.holdMs).toBeNull();
    expect(plan.spacingForMs).toBeGreaterThan(59_000);
  });

  it('with a refill, never spends faster than the requests come back once the given slots reach the reset', () => {
    expect(paceAfter(answer(3, 5_000, { refillPerSecond: 1, sentSince: 1, aheadMs: 6_000 })).spacingMs).toBe(1_000);
  });

  it('with a refill and nothing left, waits for the next request to come back, not for the reset', () => {
    expect(paceAfter(answer(0, 55_000, { refillPerSecond: 1 }))).toEqual({ spacingMs: 1_000, spacingForMs: 57_000, holdMs: 1_000 });
    expect(paceAfter(answer(0, 55_000, { refillPerSecond: 1, sentSince: 1 })).holdMs).toBe(2_000);
  });
});
