import { condition, sleep } from '@temporalio/workflow';
import type { HandedWork } from './handed-work';

export interface TimerWaitOptions {
  /** Ends the wait early: checked after each piece of handed work. */
  cutShort: () => boolean;
  /** Runs whenever a timer is about to start, so the caller can show the deadline it waits for. */
  beforeEachTimer: () => Promise<void>;
  summary: (remainingMs: number) => string;
  handedWork: HandedWork;
}

/**
 * A durable timer whose deadline may move while it runs (the timer-examples sample's UpdatableTimer): each move
 * starts a timer for the new deadline.
 */
export class UpdatableTimer {
  readonly startedAt = Date.now();
  #deadline: number;
  /** Set when the deadline moves; cleared by the wait when it starts a timer for the new one. */
  moved = false;

  constructor(durationMs: number) {
    this.#deadline = this.startedAt + durationMs;
  }

  get deadline(): number {
    return this.#deadline;
  }

  set deadline(value: number) {
    this.#deadline = value;
    this.moved = true;
  }
}

/**
 * Waits for a timer's deadline; true when it passed, false when `cutShort` turned true first. Work handed over
 * meanwhile runs at once, and the wait goes on to the deadline, which the work may have moved. Whether that work is already there when the wait begins can differ between a run and its
 * replay (see HandedWork), so the commands must not depend on it: a timer always starts, even for a deadline already
 * passed, and none is ever cancelled (one left behind fires later, unheeded).
 */
export async function waitHandlingWork(timer: UpdatableTimer, { cutShort, beforeEachTimer, summary, handedWork }: TimerWaitOptions): Promise<boolean> {
  for (;;) {
    timer.moved = false;
    await beforeEachTimer();
    const remaining = timerLength(timer.deadline, Date.now());
    // Woken by the timer's own promise: an idle poll's wait ends without a condition to unblock (see runUntilSettled).
    await handedWork.runUntilSettled(sleep(remaining, { summary: summary(remaining) }), () => timer.moved || cutShort());
    const end = wakeUpEnds(timer, cutShort());
    if (end !== 'moved') return end === 'deadline';
  }
}

/** At least 1 ms: a deadline already passed still gets its timer, so the commands never depend on when work came. */
export function timerLength(deadline: number, now: number): number {
  return Math.max(deadline - now, 1);
}

/** Why a wake-up of the wait came: cut short, the deadline moved (a timer for the new one follows), or it passed. */
export function wakeUpEnds(timer: UpdatableTimer, cutShort: boolean): 'cut-short' | 'moved' | 'deadline' {
  if (cutShort) return 'cut-short';
  return timer.moved ? 'moved' : 'deadline';
}

/**
 * A moment's wait between cycles, on a timer that handed work cuts short. After it the loop may look at what
 * handlers handed over: the timer puts the same command in history whether the work came before it or after.
 */
export async function momentOrHandedWork(handedWork: HandedWork): Promise<void> {
  const fired = startTimer(1, 'between cycles');
  await condition(() => fired() || handedWork.pending);
}

/** Starts a durable timer that nothing cancels; the function returned tells whether it has fired. */
function startTimer(ms: number, summary: string): () => boolean {
  let fired = false;
  sleep(ms, { summary }).then(
    () => (fired = true),
    () => undefined,
  );
  return () => fired;
}
