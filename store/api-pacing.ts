import type { Database } from './database';

/** What a response said of the rate limit: requests left, and when the window resets (epoch ms). */
export interface RateWindow {
  remaining: number;
  resetsAtMs: number;
}

/**
 * Paces the requests of each organization by the rate-limit headers, with the pace kept in PostgreSQL so that every
 * worker and every source of the organization shares it. A request takes the next slot (one statement); a response
 * spreads what remains of the window evenly over the time left in it, so a backfill runs at the allowed rate without
 * running into 429s. A 429 pushes every later slot past the wait it asked for.
 */
export class ApiPacer {
  constructor(private readonly db: Database) {}

  /**
   * The slot of the next request: how long to wait for it. A slot further away than `maxWaitMs` is not taken (taking
   * it would push every later slot back for a request that will not be made); the caller waits elsewhere and asks again.
   */
  async takeSlot(organizationId: string, maxWaitMs: number): Promise<{ waitMs: number; taken: boolean }> {
    for (;;) {
      const { rows: taken } = await this.db.query<{ wait_ms: number }>(
        `UPDATE api_pacing SET next_request_at = GREATEST(next_request_at, now()) + spacing
          WHERE organization_id = $1 AND next_request_at <= now() + make_interval(secs => $2::float8 / 1000)
          RETURNING GREATEST(extract(epoch FROM next_request_at - spacing - now()) * 1000, 0)::float8 AS wait_ms`,
        [organizationId, maxWaitMs],
      );
      if (taken.length > 0) return { waitMs: taken[0].wait_ms, taken: true };
      const { rows: later } = await this.db.query<{ wait_ms: number }>(
        'SELECT extract(epoch FROM next_request_at - now())::float8 * 1000 AS wait_ms FROM api_pacing WHERE organization_id = $1',
        [organizationId],
      );
      if (later.length > 0) return { waitMs: later[0].wait_ms, taken: false };
      // The organization's first request: its row, then its slot.
      await this.db.query('INSERT INTO api_pacing (organization_id) VALUES ($1) ON CONFLICT DO NOTHING', [organizationId]);
    }
  }

  /** After a response: the slots that follow spend what remains by the time the window resets. */
  async observe(organizationId: string, window: RateWindow): Promise<void> {
    await this.db.query(
      `UPDATE api_pacing
          SET spacing = make_interval(secs => GREATEST($2::float8 / 1000 - extract(epoch FROM now()), 0) / GREATEST($3::int, 1)),
              next_request_at = CASE WHEN $3::int <= 0 THEN GREATEST(next_request_at, to_timestamp($2::float8 / 1000)) ELSE next_request_at END
        WHERE organization_id = $1`,
      [organizationId, window.resetsAtMs, window.remaining],
    );
  }

  /** After a 429: no request of the organization goes out before the API said it may. */
  async rateLimited(organizationId: string, retryAfterMs: number): Promise<void> {
    await this.db.query(`UPDATE api_pacing SET next_request_at = GREATEST(next_request_at, now() + make_interval(secs => $2::float8 / 1000)) WHERE organization_id = $1`, [
      organizationId,
      retryAfterMs,
    ]);
  }
}
