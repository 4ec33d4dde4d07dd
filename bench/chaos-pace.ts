/** Rows stored over time, sampled twice a second: how fast ingestion goes, and how long a fault slows it. */
export class PaceMeter {
  private samples: { at: number; rows: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  latest = 0;

  constructor(private readonly countRows: () => Promise<number>) {}

  start(): void {
    const sample = async () => {
      // A restarting database fails a sample; the next one counts.
      const rows = await this.countRows().catch(() => undefined);
      if (rows !== undefined) {
        this.latest = rows;
        this.samples.push({ at: Date.now(), rows });
      }
      this.timer = setTimeout(() => void sample(), 500);
    };
    void sample();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Events per second over the last `seconds`. */
  rate(seconds: number, now = Date.now()): number {
    const window = this.samples.filter((s) => s.at >= now - seconds * 1000);
    if (window.length < 2) return 0;
    const [first, last] = [window[0], window[window.length - 1]];
    return ((last.rows - first.rows) * 1000) / Math.max(last.at - first.at, 1);
  }

  /**
   * Seconds from now until ingestion is back at `target` events/s for good: the end of the last 2-second window below
   * it within `watchSeconds` (a source that stalls only after a first good window counts). Undefined when `finished`
   * comes before a first good window.
   */
  async secondsUntilPace(target: number, watchSeconds: number, finished: () => boolean): Promise<number | undefined> {
    const from = Date.now();
    let lastSlow: number | undefined = from;
    let sawGood = false;
    while (Date.now() - from < watchSeconds * 1000 && !finished()) {
      await new Promise((r) => setTimeout(r, 500));
      if (Date.now() - from < 2000) continue;
      if (this.rate(2) < target) lastSlow = Date.now();
      else sawGood = true;
    }
    if (!sawGood) return finished() ? undefined : watchSeconds;
    return Math.max(0, (lastSlow! - from - 2000) / 1000);
  }

  async until(condition: () => boolean, timeoutSeconds: number): Promise<void> {
    const from = Date.now();
    while (!condition() && Date.now() - from < timeoutSeconds * 1000) await new Promise((r) => setTimeout(r, 500));
  }
}
