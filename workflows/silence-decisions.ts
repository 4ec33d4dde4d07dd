import type { SilenceBaseline, SilenceVerdict } from '../activities/silence';
import type { SilenceAlarmSettings } from '../contract/alert-messages';
import type { SilenceWatchdogCarried } from '../contract/alert-workflows';
import { silenceWindowProblem } from '../contract/settings';

/**
 * What a silence watchdog knows between wake-ups, and how each thing it learns changes it. Plain data and plain
 * functions: the watchdog's decisions, apart from the workflow runtime that carries them out. Times are epoch ms.
 */
export interface SilenceWatch {
  windowSeconds: number;
  enabled: boolean;
  /** Why the alarm was switched off: the resolved alert says it. */
  disabledReason?: string;
  /** The newest persisted event known; on a fresh start, set from PostgreSQL before the first decision. */
  lastEventAt?: number;
  /** A paused source is not looked at again before this. */
  notBefore: number;
  alertOpen: boolean;
  /** Events signalled while an alert was open and not yet used to resolve it. */
  pendingEventsAt?: number;
  /** PostgreSQL knew of events newer than the open alert: it should resolve at once. */
  resolveDue: boolean;
}

/** What the watchdog does at a wake-up. */
export type WatchdogStep =
  | { kind: 'switch-off' }
  | { kind: 'resolve' }
  | { kind: 'continue-as-new' }
  | { kind: 'wait-for-events' }
  | { kind: 'wait-until'; deadline: number }
  | { kind: 'evaluate'; deadline: number };

export function initialWatch(windowSeconds: number, carried: SilenceWatchdogCarried | undefined): SilenceWatch {
  return {
    windowSeconds,
    enabled: true,
    lastEventAt: carried?.lastEventAt,
    notBefore: carried?.notBefore ?? 0,
    alertOpen: carried?.alertOpen ?? false,
    pendingEventsAt: carried?.pendingEventsAt,
    resolveDue: carried?.resolveDue ?? false,
  };
}

/** A fresh start takes the deadline and the open alert from PostgreSQL. */
export function applyBaseline(watch: SilenceWatch, baseline: SilenceBaseline): void {
  watch.lastEventAt = Math.max(watch.lastEventAt ?? 0, Date.parse(baseline.baselineAt));
  watch.alertOpen = baseline.alertOpen;
  watch.resolveDue = baseline.eventsSinceAlert;
}

/** New events were persisted `at`; false when `at` is no time, and the word is ignored. */
export function noteEvents(watch: SilenceWatch, at: string): boolean {
  const time = Date.parse(at);
  if (Number.isNaN(time)) return false;
  watch.lastEventAt = Math.max(watch.lastEventAt ?? time, time);
  watch.pendingEventsAt = Math.max(watch.pendingEventsAt ?? time, time);
  return true;
}

export function applySettings(watch: SilenceWatch, settings: SilenceAlarmSettings & { reason?: string }): void {
  watch.enabled = settings.enabled;
  watch.disabledReason = settings.reason;
  // The source workflow validated the window against the operator's floor; here only nonsense is refused.
  if (!silenceWindowProblem(settings.windowSeconds, { allowShort: true })) watch.windowSeconds = settings.windowSeconds;
}

/** Events signalled while no alert is open cannot resolve one that opens later: they are dropped at each wake-up. */
export function forgetNewsUnlessAlerting(watch: SilenceWatch): void {
  if (!watch.alertOpen) watch.pendingEventsAt = undefined;
}

/** The next step, in order of precedence; `runIsLong` when the run should continue-as-new. */
export function nextStep(watch: SilenceWatch, { now, runIsLong }: { now: number; runIsLong: boolean }): WatchdogStep {
  if (!watch.enabled) return { kind: 'switch-off' };
  if (watch.alertOpen && (watch.pendingEventsAt !== undefined || watch.resolveDue)) return { kind: 'resolve' };
  if (runIsLong) return { kind: 'continue-as-new' };
  if (watch.alertOpen) return { kind: 'wait-for-events' };
  const deadline = silenceDeadline(watch);
  return deadline > now ? { kind: 'wait-until', deadline } : { kind: 'evaluate', deadline };
}

/** The window after the newest event, but never before `notBefore`. */
export function silenceDeadline(watch: SilenceWatch): number {
  return Math.max(watch.lastEventAt! + watch.windowSeconds * 1000, watch.notBefore);
}

/** Takes the news a resolution is based on: what arrives after this waits for the next one. */
export function takeNews(watch: SilenceWatch): number | undefined {
  const eventsAt = watch.pendingEventsAt;
  watch.pendingEventsAt = undefined;
  watch.resolveDue = false;
  return eventsAt;
}

/**
 * True when the alert is over: resolved now, or by an operator first (stillOpen false; absent from results recorded
 * before it existed).
 */
export function applyResolution(watch: SilenceWatch, { resolved, stillOpen }: { resolved: boolean; stillOpen?: boolean }): boolean {
  if (!resolved && stillOpen !== false) return false;
  watch.alertOpen = false;
  return true;
}

/** What PostgreSQL said at the deadline: 'opened' when this verdict opened the alert, 'removed' when the source is gone. */
export function applyVerdict(watch: SilenceWatch, verdict: SilenceVerdict, now: number): 'opened' | 'removed' | undefined {
  switch (verdict.kind) {
    case 'removed':
      return 'removed';
    case 'paused':
      watch.notBefore = Date.parse(verdict.recheckAt);
      return undefined;
    case 'not-silent':
      // The database knew of newer events than the signals did. The floor keeps clocks that disagree by a little from
      // turning the wait into a busy loop.
      watch.lastEventAt = Math.max(watch.lastEventAt!, Date.parse(verdict.deadline) - watch.windowSeconds * 1000);
      watch.notBefore = now + 1000;
      return undefined;
    case 'alerting':
      watch.alertOpen = true;
      return verdict.opened ? 'opened' : undefined;
  }
}
