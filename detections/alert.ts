import type { PoolClient } from 'pg';
import type { Rule, Severity } from './rule';

/** The alert path's input for a detection (issue 5's AlertToOpen, narrowed to kind 'detection'). */
export interface DetectionAlert {
  sourceId: string;
  kind: 'detection';
  dedupKey: string;
  severity: Severity;
  title: string;
  message: string;
  details: Record<string, unknown>;
}

/** The alert path's openAlerts (openAlert in bulk), as the engine calls it: inside the transaction that records the detections. */
export type OpenAlerts = (q: PoolClient, alerts: DetectionAlert[]) => Promise<Array<{ alertId: number; opened: boolean }>>;

export interface DetectionFacts {
  sourceId: string;
  sourceName: string;
  packId: string;
  rule: Rule;
  dedupKey: string;
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
 * the triggering event: unique per detection, and the same if the same detection were ever offered twice.
 */
export function detectionAlert(facts: DetectionFacts): DetectionAlert {
  const { rule } = facts;
  const actor = facts.actor.name ?? facts.actor.email ?? facts.actor.id;
  const lines = [
    rule.description,
    `Source ${facts.sourceName}, rule ${rule.id} (${facts.packId}), severity ${rule.severity}.`,
    `Event time ${facts.eventTime.toISOString()}, actor ${actor}${facts.ip ? `, IP ${facts.ip}` : ''}${facts.country ? `, ${facts.country}` : ''}.`,
    facts.count !== undefined ? `${facts.count} events in the window; event ids: ${facts.eventIds.join(', ')}.` : `Event id: ${facts.eventId}.`,
  ];
  return {
    sourceId: facts.sourceId,
    kind: 'detection',
    dedupKey: `${rule.id}:${facts.dedupKey}:${facts.eventId}`,
    severity: rule.severity,
    title: facts.title,
    message: lines.join('\n'),
    details: {
      ruleId: rule.id,
      ruleTitle: rule.title,
      packId: facts.packId,
      severity: rule.severity,
      dedupKey: facts.dedupKey,
      eventIds: facts.eventIds,
      triggeringEventId: facts.eventId,
      eventTime: facts.eventTime.toISOString(),
      actor: facts.actor,
      ip: facts.ip,
      ...(facts.country ? { country: facts.country } : {}),
      ...(facts.count !== undefined ? { count: facts.count } : {}),
    },
  };
}
