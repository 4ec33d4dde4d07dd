import type { RunningSimulator } from '../simulator/server';
import type { Database } from '../store/database';

/**
 * Each source's stored events over time, read from its checkpoint twice a second: when each source last stored a
 * page, and so how long a fault kept the slowest source from storing its next one.
 */
export class ProgressMeter {
  private readonly stored = new Map<string, number>();
  private readonly progressAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  total = 0;

  constructor(private readonly db: Database) {}

  start(): void {
    const sample = async () => {
      // A restarting database fails a sample; the next one counts.
      const rows = await this.db
        .query<{ source_id: string; n: string }>('SELECT source_id, events_ingested AS n FROM checkpoints')
        .then((r) => r.rows)
        .catch(() => undefined);
      if (rows) {
        const now = Date.now();
        for (const { source_id: id, n } of rows) {
          if (Number(n) !== this.stored.get(id)) this.progressAt.set(id, now);
          this.stored.set(id, Number(n));
        }
        this.total = [...this.stored.values()].reduce((a, b) => a + b, 0);
      }
      this.timer = setTimeout(() => void sample(), 500);
    };
    void sample();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  storedBy(sourceId: string): number {
    return this.stored.get(sourceId) ?? 0;
  }

  /**
   * Seconds from `since` until every one of `sourceIds` has stored a page after it: the slowest source's way back.
   * Undefined when one did not within `watchSeconds` (`stalled` lists those). A source for which `excused` turns true
   * meanwhile (sent a 429 during the watch, say) is no longer waited for.
   */
  async untilAllProgressed(sourceIds: string[], since: number, watchSeconds: number, excused: (id: string) => boolean = () => false): Promise<{ seconds?: number; stalled: string[] }> {
    const progressed = (id: string) => (this.progressAt.get(id) ?? 0) > since;
    const waiting = () => sourceIds.filter((id) => !progressed(id) && !excused(id));
    while (waiting().length > 0 && Date.now() - since < watchSeconds * 1000) await new Promise((r) => setTimeout(r, 250));
    const stalled = waiting();
    if (stalled.length) return { stalled };
    return { seconds: Math.max(0, ...sourceIds.filter(progressed).map((id) => this.progressAt.get(id)! - since)) / 1000, stalled };
  }

  async until(condition: () => boolean, timeoutSeconds: number): Promise<void> {
    const from = Date.now();
    while (!condition() && Date.now() - from < timeoutSeconds * 1000) await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Seconds from now until every one of `orgIds` sent the API a request again: when a source whose worker died resumed
 * its page on another worker, before the API's answer and the rows it brings. The slowest organization's, and which it
 * was; no seconds when one had not asked within `watchSeconds`. `excused` as for untilAllProgressed.
 */
export async function untilAllAsked(
  simulator: Pick<RunningSimulator, 'requestCounts'>,
  orgIds: string[],
  watchSeconds: number,
  excused: (orgId: string) => boolean,
): Promise<{ seconds?: number; slowest?: string }> {
  const since = Date.now();
  const asked = (counts: ReturnType<RunningSimulator['requestCounts']>, orgId: string) => Object.values(counts.byOrg[orgId] ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  const before = simulator.requestCounts();
  const askedAt = new Map<string, number>();
  const waiting = () => orgIds.filter((id) => !askedAt.has(id) && !excused(id));
  while (waiting().length > 0 && Date.now() - since < watchSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 100));
    const now = simulator.requestCounts();
    for (const id of waiting()) if (asked(now, id) > asked(before, id)) askedAt.set(id, Date.now());
  }
  if (waiting().length > 0) return { slowest: waiting()[0] };
  const [slowest, at] = [...askedAt].reduce((a, b) => (b[1] > a[1] ? b : a), ['', since]);
  return { seconds: (at - since) / 1000, slowest };
}
