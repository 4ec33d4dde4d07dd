import { condition } from '@temporalio/workflow';

/**
 * A durable timer whose deadline may move while it runs (the timer-examples sample's UpdatableTimer): each move
 * starts a timer for the new deadline at once, and a condition of the caller's can cut the wait short.
 */
export class UpdatableTimer {
  readonly startedAt = Date.now();
  #deadline: number;
  #moved = false;

  constructor(durationMs: number) {
    this.#deadline = this.startedAt + durationMs;
  }

  get deadline(): number {
    return this.#deadline;
  }

  set deadline(value: number) {
    this.#deadline = value;
    this.#moved = true;
  }

  /**
   * Waits for the deadline. `beforeEachTimer` runs whenever a timer is about to start, so the caller can show the
   * deadline it waits for. Returns true when the deadline passed, false when `cutShort` turned true first.
   */
  async sleep({
    cutShort,
    beforeEachTimer,
    summary,
  }: {
    cutShort: () => boolean;
    beforeEachTimer: () => Promise<void>;
    summary: (remainingMs: number) => string;
  }): Promise<boolean> {
    for (;;) {
      const remaining = this.#deadline - Date.now();
      if (remaining <= 0) return true;
      this.#moved = false;
      await beforeEachTimer();
      const woken = await condition(() => this.#moved || cutShort(), remaining, { summary: summary(remaining) });
      if (!woken) return true;
      if (cutShort()) return false;
    }
  }
}
