import { apiBaseUrlProblem, normalizeApiBaseUrl } from '../config/api-base-urls';
import { OperatorError } from '../config/operator-error';
import { formatDuration, parseDurationSeconds } from '../contract/durations';
import { ALLOW_SHORT_WINDOWS_ENV, backfillDaysProblem, legalHoldReasonProblem, pollIntervalProblem, retentionDaysProblem, silenceWindowProblem } from '../contract/settings';

// Every check runs before the first connection is opened, so a typo costs nothing and writes nothing.

/** The CHECK constraint of sources.name: names become workflow ids and table labels. */
const SOURCE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Atlassian API keys live at most one year; a later date is a typo, not a long-lived key. */
const MAX_KEY_LIFETIME_DAYS = 366;

export function parseSourceName(text: string): string {
  if (!SOURCE_NAME.test(text)) {
    throw new OperatorError(
      `source name "${text}" is invalid: use 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return text;
}

export function parseOrgId(text: string): string {
  if (!UUID.test(text)) {
    throw new OperatorError(`organization id "${text}" is not a UUID: copy it from admin.atlassian.com/o/<org id>/overview`);
  }
  return text;
}

/** Every duration an operator types goes through here: 90s, 5m, 24h, 2d, or plain seconds. */
function parseDuration(what: string, text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined) throw new OperatorError(`${what} "${text}" is not a duration: write it like 90s, 5m, 24h, 2d or a number of seconds`);
  return seconds;
}

export function parseIntervalSeconds(text: string): number {
  const seconds = parseDuration('interval', text);
  const problem = pollIntervalProblem(seconds);
  if (problem) throw new OperatorError(problem);
  return seconds;
}

/** How long `remove` waits for a graceful stop: long enough for a page to commit, short enough to wait for. */
export function parseStopTimeout(text: string): number {
  const seconds = parseDuration('--timeout', text);
  if (seconds < 1 || seconds > 3600) throw new OperatorError(`--timeout must be between 1s and 1h, got ${formatDuration(seconds)}`);
  return seconds;
}

export function parseBackfillDays(text: string): number {
  const days = /^\d+$/.test(text.trim()) ? Number(text) : text;
  const problem = backfillDaysProblem(days);
  if (problem) throw new OperatorError(problem);
  return days as number;
}

export function shortWindowsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ALLOW_SHORT_WINDOWS_ENV] === '1';
}

export function parseSilenceWindow(text: string, env: NodeJS.ProcessEnv = process.env): number {
  const seconds = parseDuration('silence window', text);
  const problem = silenceWindowProblem(seconds, { allowShort: shortWindowsAllowed(env) });
  if (problem) throw new OperatorError(problem);
  return seconds;
}

/** An expiry date (YYYY-MM-DD, UTC) after today: a key that expires today or earlier would fail within hours. */
export function parseKeyExpiry(text: string, now: Date = new Date()): Date {
  const match = ISO_DATE.exec(text.trim());
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!match || !date || date.getUTCMonth() !== Number(match[2]) - 1 || date.getUTCDate() !== Number(match[3])) {
    throw new OperatorError(`key expiry "${text}" is not a date: write it as YYYY-MM-DD`);
  }
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  if (date.getTime() <= today) throw new OperatorError(`key expiry ${text} is not in the future: create a new key and give its expiry date`);
  if (date.getTime() > today + MAX_KEY_LIFETIME_DAYS * DAY_MS) {
    throw new OperatorError(`key expiry ${text} is more than a year away, longer than Atlassian API keys live: check the date`);
  }
  return date;
}

/** A base URL an API key may be sent to: on the operator's allowlist, https unless a loopback simulator in development. */
export function parseApiBaseUrl(text: string, env: NodeJS.ProcessEnv = process.env): string {
  const normalized = normalizeApiBaseUrl(text);
  const problem = apiBaseUrlProblem(normalized, env);
  if (problem) throw new OperatorError(problem);
  return normalized;
}

/** Days of retention: `400` or `400d`. */
export function parseRetentionDays(text: string): number {
  const match = /^(\d{1,9})d?$/i.exec(text.trim());
  const days = match ? Number(match[1]) : text;
  const problem = retentionDaysProblem(days);
  if (problem) throw new OperatorError(problem);
  return days as number;
}

export function parseLegalHoldReason(text: string): string {
  const problem = legalHoldReasonProblem(text);
  if (problem) throw new OperatorError(problem);
  return text.trim();
}

/** Who placed or lifted a hold, as the record shows it: a name or an e-mail address, on one short line. */
export function parseActor(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (text.trim() === '' || text.length > 100 || /[\u0000-\u001f\u007f-\u009f]/.test(text)) {
    throw new OperatorError('--by must be a name of 1 to 100 printable characters');
  }
  return text.trim();
}
