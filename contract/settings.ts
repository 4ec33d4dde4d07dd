// The bounds of every setting an operator may change, and the one check of each: the CLI checks before it sends,
// the workflow's update validators check again, and the watchdog checks what it is told.
import { formatDuration } from './durations';

export const MIN_POLL_INTERVAL_SECONDS = 10;
export const MAX_POLL_INTERVAL_SECONDS = 24 * 60 * 60;
export const DEFAULT_POLL_INTERVAL_SECONDS = 60;

export const DEFAULT_BACKFILL_DAYS = 7;
/** Atlassian keeps 180 days of audit events. */
export const MAX_BACKFILL_DAYS = 180;

/** Panther's silence alarm accepts 15 minutes to 30 days; shorter windows would alert on ordinary quiet hours. */
export const MIN_SILENCE_WINDOW_SECONDS = 15 * 60;
export const MAX_SILENCE_WINDOW_SECONDS = 30 * 24 * 60 * 60;
export const DEFAULT_SILENCE_WINDOW_SECONDS = 24 * 60 * 60;
/** Tests and demos cannot wait 15 minutes for an alert: with this set to 1, the CLI asks for windows down to a second. */
export const ALLOW_SHORT_WINDOWS_ENV = 'AUDIT_ALLOW_SHORT_WINDOWS';
const SHORT_SILENCE_WINDOW_FLOOR_SECONDS = 1;

export function pollIntervalProblem(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) return `interval must be a whole number of seconds, got ${String(seconds)}`;
  if (seconds < MIN_POLL_INTERVAL_SECONDS || seconds > MAX_POLL_INTERVAL_SECONDS) {
    return `interval must be between ${MIN_POLL_INTERVAL_SECONDS} s and ${MAX_POLL_INTERVAL_SECONDS} s (24 h), got ${seconds} s`;
  }
  return undefined;
}

/** `allowShort` lowers the floor to a second, for tests and demos (the CLI sets it from ALLOW_SHORT_WINDOWS_ENV). */
export function silenceWindowProblem(seconds: unknown, { allowShort = false }: { allowShort?: boolean } = {}): string | undefined {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) return `silence window must be a whole number of seconds, got ${String(seconds)}`;
  const floor = allowShort ? SHORT_SILENCE_WINDOW_FLOOR_SECONDS : MIN_SILENCE_WINDOW_SECONDS;
  if (seconds < floor || seconds > MAX_SILENCE_WINDOW_SECONDS) {
    const lowest = allowShort ? formatDuration(floor) : `${formatDuration(floor)} (${ALLOW_SHORT_WINDOWS_ENV}=1 allows down to ${formatDuration(SHORT_SILENCE_WINDOW_FLOOR_SECONDS)} for tests and demos)`;
    return `silence window must be between ${lowest} and ${formatDuration(MAX_SILENCE_WINDOW_SECONDS)}, got ${formatDuration(seconds)}`;
  }
  return undefined;
}

export function backfillDaysProblem(days: unknown): string | undefined {
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > MAX_BACKFILL_DAYS) {
    return `backfill must be a whole number of days from 0 to ${MAX_BACKFILL_DAYS} (Atlassian keeps 180 days), got ${String(days)}`;
  }
  return undefined;
}
