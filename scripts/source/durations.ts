import { OperatorError } from '../../config/operator-error';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 60 * 60, d: 24 * 60 * 60 };

/** Panther's silence alarm accepts 15 minutes to 30 days; shorter windows would alert on ordinary quiet hours. */
export const MIN_SILENCE_WINDOW_SECONDS = 15 * 60;
export const MAX_SILENCE_WINDOW_SECONDS = 30 * 24 * 60 * 60;
/** Tests and demos cannot wait 15 minutes for an alert: this switch lowers the floor to one second. */
export const ALLOW_SHORT_WINDOWS_ENV = 'AUDIT_ALLOW_SHORT_WINDOWS';
export const DEFAULT_SILENCE_WINDOW = '24h';

/**
 * Seconds in a duration written as `90m`, `24h`, `2d`, `30s` or plain seconds (`3600`); undefined when the text is
 * none of these. Only whole numbers: a window of `1.5h` is better written `90m` than rounded behind the operator's back.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d{1,9})\s*([smhd]?)$/i.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[(match[2] || 's').toLowerCase()];
}

export function shortWindowsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ALLOW_SHORT_WINDOWS_ENV] === '1';
}

export function silenceWindowProblem(seconds: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const min = shortWindowsAllowed(env) ? 1 : MIN_SILENCE_WINDOW_SECONDS;
  if (seconds < min || seconds > MAX_SILENCE_WINDOW_SECONDS) {
    const floor = shortWindowsAllowed(env) ? '1s' : `15m (${ALLOW_SHORT_WINDOWS_ENV}=1 allows down to 1s for tests and demos)`;
    return `silence window must be between ${floor} and 30d, got ${formatDuration(seconds)}`;
  }
  return undefined;
}

/** Parses and bounds a silence window in one step, for commands that take one as an option. */
export function parseSilenceWindow(text: string, env: NodeJS.ProcessEnv = process.env): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined) throw new OperatorError(`silence window "${text}" is not a duration: write it like 90m, 24h, 2d or a number of seconds`);
  const problem = silenceWindowProblem(seconds, env);
  if (problem) throw new OperatorError(problem);
  return seconds;
}

/** The largest unit that divides the duration exactly, so that what an operator typed reads back the same. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit];
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
