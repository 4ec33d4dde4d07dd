import { OperatorError } from '../config/operator-error';
import { detectionPacks, findPack } from '../detections/registry';
import type { DetectionPack } from '../detections/rule';
import { MAX_BACKFILL_DAYS } from '../contract/settings';
import { parseDurationSeconds } from '../contract/durations';

// Checked before any connection opens, like the other inputs: a typo costs nothing and writes nothing.

export function parsePackId(text: string): DetectionPack {
  const pack = findPack(text.trim());
  if (!pack) throw new OperatorError(`no detection pack "${text}": the packs are ${detectionPacks().map((p) => p.id).join(', ')}`);
  return pack;
}

/** A comma-separated list of pack ids, as `add --detection-packs` takes it. */
export function parsePackList(text: string): DetectionPack[] {
  const ids = text.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (ids.length === 0) throw new OperatorError(`--detection-packs needs at least one pack id: ${detectionPacks().map((p) => p.id).join(', ')}`);
  return [...new Set(ids)].map(parsePackId);
}

export function parseRescanDays(text: string): number {
  const days = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_BACKFILL_DAYS) {
    throw new OperatorError(`--rescan-days must be a whole number of days from 1 to ${MAX_BACKFILL_DAYS}, got ${text}`);
  }
  return days;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Comma-separated e-mail domains; an empty text clears the list (back to the inviting admin's own domain). */
export function parseDomainList(text: string): string[] {
  const domains = text.split(',').map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter((d) => d !== '');
  const bad = domains.find((domain) => !DOMAIN.test(domain));
  if (bad !== undefined) throw new OperatorError(`"${bad}" is not an e-mail domain: write domains such as example.com, separated by commas`);
  return [...new Set(domains)];
}

/** Grouping periods a source may set: from a minute (one alert per detection, nearly) to 30 days. */
const MIN_GROUP_SECONDS = 60;
const MAX_GROUP_SECONDS = 30 * 86_400;

/** A grouping period as the flag and the sources file take it. */
export function parseGroupPeriod(what: string, text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined || seconds < MIN_GROUP_SECONDS || seconds > MAX_GROUP_SECONDS) {
    throw new OperatorError(`${what} must be a duration from 1m to 30d (such as 6h or 2d); got "${text}"`);
  }
  return seconds;
}

/** Whether some pack, shipped or the team's, has a rule of this id. */
export const isKnownRule = (ruleId: string) => detectionPacks().some((pack) => pack.rules.some((rule) => rule.id === ruleId));

/**
 * `rule=duration` pairs, comma-separated (`admin-impersonation=6h,failed-login-burst=2d`), for rules of the pack;
 * `rule=default` goes back to the rule's own period (returned as null).
 */
export function parseGroupPeriods(pack: DetectionPack, text: string): Record<string, number | null> {
  const periods: Record<string, number | null> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [ruleId, duration, extra] = pair.split('=').map((part) => part.trim());
    if (duration === undefined || extra !== undefined) throw new OperatorError(`--group-period takes rule=duration pairs such as admin-impersonation=6h, got "${pair}"`);
    if (!pack.rules.some((rule) => rule.id === ruleId)) {
      throw new OperatorError(`--group-period: pack ${pack.id} has no rule "${ruleId}": its rules are ${pack.rules.map((rule) => rule.id).join(', ')}`);
    }
    if (duration === 'default') {
      periods[ruleId] = null;
      continue;
    }
    periods[ruleId] = parseGroupPeriod(`--group-period of ${ruleId}`, duration);
  }
  if (Object.keys(periods).length === 0) throw new OperatorError('--group-period needs at least one rule=duration pair, such as admin-impersonation=6h');
  return periods;
}
