import type { AlertToOpen } from '../alerts/alert-store';
import type { Rule } from './rule';

/** The alert path's input for a detection: an alert of kind 'detection' with its dedup key always set. */
export interface DetectionAlert extends AlertToOpen {
  kind: 'detection';
  dedupKey: string;
  details: Record<string, unknown>;
  group: NonNullable<AlertToOpen['group']>;
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
  /** The detections the alert opens with: its rule and subject, how many, their first and last event time. */
  group: DetectionAlert['group'];
}

/**
 * Detections do not use the alert path's open-alert gate: their grouping (detections/group.ts) decides, and a
 * group after the rule's period must open a new alert even if nobody has resolved the previous one. So the alert's
 * dedup key names the rule and the event that opened the group: unique per group, and the same if that detection
 * were ever offered twice. Kept small: a backfill over a risky stretch of history raises many of these inside the
 * page transactions.
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
    group: facts.group,
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
