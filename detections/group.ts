import type { Finding } from './decide';
import { indexableKey } from './indexable-key';
import { DetectionSettings, groupPeriodSeconds } from './rule';
import type { Sql } from './store';

/** An open alert that groups detections of one rule and subject. */
export interface OpenGroup {
  alertId: number;
  firstMs: number;
  count: number;
}

/** Where a batch's findings go: new alerts (the first finding of each opens it) and open alerts they join. */
export interface GroupPlan {
  opened: Finding[][];
  joined: Array<{ group: OpenGroup; findings: Finding[] }>;
}

/** The group a detection belongs to: its rule and subject (the rule's own, else its dedup key). */
export function groupKeyOf(finding: Pick<Finding, 'rule' | 'dedupKey' | 'event'>, settings: DetectionSettings): string {
  const { rule } = finding;
  return `${rule.id}:${rule.subject ? indexableKey(rule.subject(finding.event, settings)) : finding.dedupKey}`;
}

/**
 * The source's open groups of these keys, locked until the transaction ends: an operator resolving one waits, so no
 * detection joins an alert that was resolved meanwhile (and a resolved alert's group is closed for good).
 */
export async function lockOpenGroups(sql: Sql, sourceId: string, groupKeys: readonly string[]): Promise<Map<string, OpenGroup[]>> {
  const { rows } = await sql.query<{ id: string; group_key: string; first_ms: string; detection_count: number }>(
    `SELECT id, group_key, floor(extract(epoch FROM first_event_at) * 1000)::bigint AS first_ms, detection_count
       FROM alerts WHERE source_id = $1 AND status = 'open' AND group_key = ANY($2::text[])
      ORDER BY id
      FOR UPDATE`,
    [sourceId, groupKeys],
  );
  const groups = new Map<string, OpenGroup[]>();
  for (const row of rows) {
    const group = { alertId: Number(row.id), firstMs: Number(row.first_ms), count: row.detection_count };
    groups.set(row.group_key, [...(groups.get(row.group_key) ?? []), group]);
  }
  return groups;
}

/**
 * Puts each finding (in event-time order) into the group of its rule and subject whose first event lies within the
 * rule's period of it: an open alert, or one this batch opens; else it opens a new one. Measured from the first
 * event, not the last, so a subject that never stops still gets one alert per period, not one forever.
 */
export function groupFindings(findings: readonly Finding[], open: ReadonlyMap<string, readonly OpenGroup[]>, settings: DetectionSettings): GroupPlan {
  type Slot = { firstMs: number; findings: Finding[]; group?: OpenGroup };
  const slots = new Map<string, Slot[]>();
  const plan: GroupPlan = { opened: [], joined: [] };
  for (const finding of findings) {
    const key = groupKeyOf(finding, settings);
    let ofKey = slots.get(key);
    if (!ofKey) slots.set(key, (ofKey = (open.get(key) ?? []).map((group) => ({ firstMs: group.firstMs, findings: [], group }))));
    const period = groupPeriodSeconds(finding.rule, settings) * 1000;
    const slot = ofKey.find((s) => Math.abs(finding.event.timeMs - s.firstMs) < period);
    if (slot) {
      slot.findings.push(finding);
      if (slot.group && slot.findings.length === 1) plan.joined.push({ group: slot.group, findings: slot.findings });
    } else {
      const opened = [finding];
      ofKey.push({ firstMs: finding.event.timeMs, findings: opened });
      plan.opened.push(opened);
    }
  }
  return plan;
}
