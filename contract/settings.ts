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

/** Events go by whole months: a retention under a month would keep the same months as a month does. */
export const MIN_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3660;

export function retentionDaysProblem(days: unknown): string | undefined {
  if (typeof days !== 'number' || !Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
    return `retention must be a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS} (10 years), got ${String(days)}`;
  }
  return undefined;
}

export const MAX_LEGAL_HOLD_REASON_LENGTH = 500;

/** A hold's reason is read by people and lawyers later: one line, said, and bounded. */
export function legalHoldReasonProblem(reason: unknown): string | undefined {
  if (typeof reason !== 'string' || reason.trim() === '') return 'a legal hold needs a reason (a case or ticket, and who asked)';
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\u0000-\u001f\u007f-\u009f]/.test(reason)) return 'a legal hold reason must be one line of printable text';
  if (reason.length > MAX_LEGAL_HOLD_REASON_LENGTH) return `a legal hold reason must be at most ${MAX_LEGAL_HOLD_REASON_LENGTH} characters, got ${reason.length}`;
  return undefined;
}
