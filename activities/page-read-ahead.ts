/** A read-ahead older than this is dropped: its page went to another worker, or the source paused. */
const MAX_AGE_MS = 30_000;

/**
 * While a page is being written to PostgreSQL (on another core), the next page can already be on its way and made
 * ready to store: a backfill then costs the slower of the two per page instead of their sum. At most one read-ahead
 * per source, keyed by the cursor it was fetched with; a failed or stale one is simply not used, and the activity
 * fetches as usual.
 */
export class PageReadAhead<Page> {
  readonly #pending = new Map<string, { cursor: string; page: Promise<Page | undefined>; startedAt: number }>();

  start(sourceId: string, cursor: string, fetch: () => Promise<Page>): void {
    // The error is the next activity's to meet, through its own request: here it only means "no read-ahead".
    const page = fetch().catch(() => undefined);
    this.#pending.set(sourceId, { cursor, page, startedAt: Date.now() });
  }

  /** The page read ahead for exactly this cursor, if there is one still fresh. */
  async take(sourceId: string, cursor: string | null): Promise<Page | undefined> {
    const entry = this.#pending.get(sourceId);
    if (!entry) return undefined;
    this.#pending.delete(sourceId);
    if (entry.cursor !== cursor || Date.now() - entry.startedAt > MAX_AGE_MS) return undefined;
    return entry.page;
  }
}
