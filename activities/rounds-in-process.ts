/**
 * The forwarding rounds running in this worker process, by output. Ingestion in the same process wakes such a round
 * directly instead of signalling its workflow: a signal costs the Temporal server an RPC, history events and a workflow
 * task, and a new round re-reads the output and its lag, all taken from the cores the backfill runs on.
 */
export class RoundsInProcess {
  readonly #rounds = new Map<string, Set<RoundWakes>>();

  /** Wakes the output's rounds running here; false when none is, and its workflow must be signalled. */
  wake(outputId: string): boolean {
    const rounds = this.#rounds.get(outputId);
    if (!rounds?.size) return false;
    for (const round of rounds) round.wake();
    return true;
  }

  /** A round of the output begins: wakes reach it until it leaves. */
  enter(outputId: string): RoundWakes {
    const rounds = this.#rounds.get(outputId) ?? new Set<RoundWakes>();
    this.#rounds.set(outputId, rounds);
    const round = new RoundWakes(() => {
      rounds.delete(round);
      if (rounds.size === 0) this.#rounds.delete(outputId);
    });
    rounds.add(round);
    return round;
  }
}

/** One round's wakes: whether one came since it last looked, and a wait that one ends early. */
export class RoundWakes {
  #woken = false;
  #ended?: () => void;

  constructor(readonly leave: () => void) {}

  wake(): void {
    this.#woken = true;
    this.#ended?.();
  }

  /** Whether a wake came since the last call: the round then looks again for due batches. */
  takeWake(): boolean {
    const woken = this.#woken;
    this.#woken = false;
    return woken;
  }

  /** Until a wake, `ms` or the activity's cancellation, whichever comes first. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#woken || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', end);
        this.#ended = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      signal.addEventListener('abort', end);
      this.#ended = end;
    });
  }
}
