import { OperatorError } from '../../config/operator-error';
import { detectionPacks, findPack } from '../../detections/registry';
import type { DetectionPack } from '../../detections/rule';
import { MAX_BACKFILL_DAYS } from '../../contract/settings';

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
