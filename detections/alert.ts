import type { AlertToOpen } from '../alerts/alert-store';
import type { Rule } from './rule';

/** The alert path's input for a detection: an alert of kind 'detection' with its dedup key always set. */
export interface DetectionAlert extends AlertToOpen {
  kind: 'detection';
  dedupKey: string;
  details: Record<string, unknown>;
}

export interface DetectionFacts {
  sourceId: string;
  sourceName: string;
  packId: string;
  rule: Rule;
  title: string;
  eventId: string;
  eventIds: string[];
  eventTime: Date;
  actor: { id: string; name: string | null; email: string | null };
  ip: string | null;
  country: string | null;
  /** Threshold rules: how many events the window held. */
  count?: number;
}

/**
 * Detections do not use the alert path's open-alert gate: their dedup period (the detections table) decides, and a
 * finding after that period must alert even if nobody has resolved the previous one. So the alert's dedup key names
 * the rule and the triggering event: unique per detection, and the same if that detection were ever offered twice.
 * Kept small: a backfill over a risky stretch of history raises many of these inside the page transactions.
 */
export function detectionAlert(facts: DetectionFacts): DetectionAlert {
  const { rule } = facts;
  const actor = facts.actor.name ?? facts.actor.email ?? facts.actor.id;
  const where = [facts.ip, facts.country].filter((part) => part !== null).join(', ');
  return {
    sourceId: facts.sourceId,
    kind: 'detection',
    dedupKey: `${rule.id}:${facts.eventId}`,
    severity: rule.severity,
    autoResolveSeconds: rule.autoResolveSeconds,
    title: facts.title,
    message:
      `${rule.title} (${rule.id}, ${rule.severity}) on source ${facts.sourceName}: ${actor}${where ? ` from ${where}` : ''} ` +
      `at ${facts.eventTime.toISOString()}, ${facts.eventIds.length === 1 ? `event ${facts.eventId}` : `${facts.eventIds.length} events`}.`,
    details: {
      ruleId: rule.id,
      packId: facts.packId,
      severity: rule.severity,
      eventIds: facts.eventIds,
      actor: facts.actor,
      ip: facts.ip,
      ...(facts.country ? { country: facts.country } : {}),
      ...(facts.count !== undefined ? { count: facts.count } : {}),
    },
  };
}
