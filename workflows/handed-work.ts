import { condition } from '@temporalio/workflow';

/**
 * Work that message handlers hand to the source workflow's loop instead of doing it themselves.
 *
 * Pages run as local activities, and core may resolve a page in another activation, or even another workflow task,
 * on replay than it did live: sooner, beside messages that came after it, or before messages that came with it. Code
 * that looks at what a message changed right after a page can then take another path on replay, and a handler that
 * awaits an activity or a signal beside the pages can issue its commands in another order: a nondeterminism error
 * that stops the source for good.
 *
 * So a handler only queues its work, and the loop runs it after the wait that ends each cycle. That wait issues the
 * same commands whether work is already queued when it begins or comes later (a timer always starts, and none is
 * cancelled), so history holds the same commands live and on replay, whichever side of the last page the work fell.
 */
export class HandedWork {
  readonly #queue: Array<() => Promise<void>> = [];
  /** Settles when work is next handed over, for a wait that is woken by promises rather than a condition. */
  #arrival: { promise: Promise<void>; arrived: () => void } | undefined;

  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /** Settles with the work's own result once the loop has run it. */
  submit<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => work().then(resolve, reject));
      this.#arrival?.arrived();
      this.#arrival = undefined;
    });
  }

  /** Runs what was handed over, in the order it came, including what arrives meanwhile. */
  async drain(): Promise<void> {
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) await next();
  }

  /** Waits for `done`, running what is handed over meanwhile. */
  async runUntil(done: () => boolean): Promise<void> {
    while (!done()) {
      await condition(() => done() || this.pending);
      await this.drain();
    }
  }

  /**
   * Waits for `event` to settle, or for `done` after a piece of work, running what is handed over meanwhile; rejects
   * if the event does. Unlike runUntil, it is woken by promises, not by a condition: each condition that unblocks
   * costs its activation one more entry into the workflow's VM, which the SDK times (Node starts a watchdog thread per
   * timed entry), and the timer that ends every idle wait would pay it at every poll.
   */
  async runUntilSettled(event: Promise<unknown>, done: () => boolean): Promise<void> {
    let settled = false;
    const settles = event.then(() => {
      settled = true;
    });
    // The event may still reject (a cancelled timer) after the wait ended for `done`.
    settles.catch(() => undefined);
    while (!settled && !done()) {
      await Promise.race([settles, this.pending ? undefined : this.#nextArrival()]);
      await this.drain();
    }
    // Dropped, with what each wait that ended without work left waiting on it.
    this.#arrival = undefined;
  }

  #nextArrival(): Promise<void> {
    if (!this.#arrival) {
      let arrived!: () => void;
      const promise = new Promise<void>((resolve) => (arrived = resolve));
      this.#arrival = { promise, arrived };
    }
    return this.#arrival.promise;
  }
}
