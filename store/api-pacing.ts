import { MAX_RATE_LIMIT_DELAY_MS } from '../atlassian/retry-delay';
import type { Database } from './database';
import { paceAfter } from './pace-plan';
import { RefillRate } from './refill-rate';

/** No slot or window is written further ahead than the longest wait any header may ask for. */
const HOLD_AT_MOST_S = MAX_RATE_LIMIT_DELAY_MS / 1000;
const HOLD_AT_MOST = `make_interval(secs => ${HOLD_AT_MOST_S})`;
/**
 * A row that says more (a slot may be taken up to a spacing past the hold) was written by an older release from a
 * nonsense header, such as a reset read as the year 3600: it is read as "now", so the organization heals at once.
 */
const POISONED = `now() + ${HOLD_AT_MOST} * 2`;
const NEXT_REQUEST_AT = `CASE WHEN next_request_at > ${POISONED} THEN now() ELSE next_request_at END`;

/** What a response said of the rate limit: requests left, and when the window resets (epoch ms). */
export interface RateWindow {
  remaining: number;
  resetsAtMs: number;
}

/** The budget a source's requests spend: its organization's, at its API. */
export const budgetOf = (source: { apiBaseUrl: string; organizationId: string }) => `${source.apiBaseUrl} ${source.organizationId}`;

/**
 * Paces the requests of each organization by the rate-limit headers, with the pace kept in PostgreSQL so that every
 * worker and every source of the organization shares it. A request takes the next slot (one statement); a response
 * spreads what remains of the window, and what the limiter is seen to give back meanwhile, evenly over the time left
 * in it, so a backfill runs at the allowed rate of a fixed window or a token bucket alike without running into 429s.
 * A 429 pushes every later slot past the wait it asked for.
 */
export class ApiPacer {
  /** Per budget, the slots this process took: each request's number in the order they go out. */
  readonly #taken = new Map<string, number>();
  /** Per budget, when (epoch ms) the slot after the last one this process took is free. */
  readonly #freeAtMs = new Map<string, number>();
  readonly #refill = new RefillRate();

  constructor(private readonly db: Database) {}

  /**
   * The slot of the next request: how long to wait for it. A slot further away than `maxWaitMs` is not taken (taking
   * it would push every later slot back for a request that will not be made); the caller waits elsewhere and asks again.
   */
  async takeSlot(budget: string, maxWaitMs: number): Promise<{ waitMs: number; taken: boolean; sequence?: number }> {
    for (;;) {
      // The slot is max(next, now); the one after it follows by the spacing, while the window it was computed for lasts.
      const { rows: taken } = await this.db.query<{ wait_ms: number; free_in_ms: number }>(
        `WITH slot AS (SELECT budget, GREATEST(${NEXT_REQUEST_AT}, now()) AS at FROM api_pacing WHERE budget = $1 FOR UPDATE)
         UPDATE api_pacing p SET next_request_at = slot.at + CASE WHEN now() < p.spacing_until AND p.spacing_until <= ${POISONED} THEN p.spacing ELSE interval '0' END
           FROM slot WHERE p.budget = slot.budget AND slot.at <= now() + make_interval(secs => $2::float8 / 1000)
         RETURNING extract(epoch FROM slot.at - now())::float8 * 1000 AS wait_ms, extract(epoch FROM p.next_request_at - now())::float8 * 1000 AS free_in_ms`,
        [budget, maxWaitMs],
      );
      if (taken.length > 0) {
        const sequence = (this.#taken.get(budget) ?? 0) + 1;
        this.#taken.set(budget, sequence);
        this.#freeAtMs.set(budget, Date.now() + taken[0].free_in_ms);
        return { waitMs: taken[0].wait_ms, taken: true, sequence };
      }
      const { rows: later } = await this.db.query<{ wait_ms: number }>(`SELECT extract(epoch FROM ${NEXT_REQUEST_AT} - now())::float8 * 1000 AS wait_ms FROM api_pacing WHERE budget = $1`, [
        budget,
      ]);
      if (later.length > 0) return { waitMs: later[0].wait_ms, taken: false };
      // The budget's first request: its row, then its slot.
      await this.db.query('INSERT INTO api_pacing (budget) VALUES ($1) ON CONFLICT DO NOTHING', [budget]);
    }
  }

  /**
   * After a response to the request that took slot `sequence` (takeSlot's): the slots that follow spend what remains,
   * and what the limiter is seen to give back meanwhile, by the time the window resets (pace-plan.ts).
   */
  async observe(budget: string, window: RateWindow, sequence = this.#taken.get(budget) ?? 0, nowMs = Date.now()): Promise<void> {
    const plan = paceAfter({
      remaining: window.remaining,
      resetsInMs: Math.max(0, window.resetsAtMs - nowMs),
      refillPerSecond: this.#refill.observe(budget, window, sequence, nowMs),
      sentSince: Math.max(0, (this.#taken.get(budget) ?? 0) - sequence),
      aheadMs: Math.max(0, (this.#freeAtMs.get(budget) ?? nowMs) - nowMs),
    });
    await this.db.query(
      `UPDATE api_pacing
          SET spacing = make_interval(secs => LEAST($2::float8 / 1000, ${HOLD_AT_MOST_S})),
              spacing_until = now() + make_interval(secs => LEAST($3::float8 / 1000, ${HOLD_AT_MOST_S})),
              next_request_at = CASE WHEN $4::float8 IS NULL THEN ${NEXT_REQUEST_AT}
                                     ELSE GREATEST(${NEXT_REQUEST_AT}, now() + make_interval(secs => LEAST($4::float8 / 1000, ${HOLD_AT_MOST_S}))) END
        WHERE budget = $1`,
      [budget, plan.spacingMs, plan.spacingForMs, plan.holdMs],
    );
  }

  /** After a 429: no request of the organization goes out before the API said it may. */
  async rateLimited(budget: string, retryAfterMs: number): Promise<void> {
    await this.db.query(`UPDATE api_pacing SET next_request_at = GREATEST(${NEXT_REQUEST_AT}, now() + make_interval(secs => LEAST($2::float8 / 1000, ${MAX_RATE_LIMIT_DELAY_MS / 1000}))) WHERE budget = $1`, [
      budget,
      retryAfterMs,
    ]);
  }
}
