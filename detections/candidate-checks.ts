import type { PoolClient } from 'pg';
import { actionFilter } from './action-filter';
import type { DetectionEvent } from './event-view';
import type { NewValueRule, Rule, ThresholdRule } from './rule';

/** An event a rule matched, not yet a detection: its window, novelty and dedup period are checked in PostgreSQL. */
export interface Candidate {
  packId: string;
  rule: Rule;
  event: DetectionEvent;
  /** What the rule deduplicates per; for threshold and new-value rules, the value of their field. */
  dedupKey: string;
}

export interface Confirmed {
  /** Index into the candidates. */
  index: number;
  /** Threshold rules: the events in the window, and how many. */
  count?: number;
  eventIds?: string[];
}

/** Event ids kept with a threshold detection, at most: enough to investigate, small enough for an alert. */
export const MAX_EVIDENCE_EVENTS = 50;

/**
 * Confirms a page's candidates in ONE statement, because round trips dominate what detections cost a page: a candidate
 * is confirmed unless a stored detection of its rule makes it a duplicate (same event, or same key within the rule's
 * period either side), and, for threshold rules, when the window (t − window, t] holds enough events with its value,
 * and for new-value rules, when no event of the source had its value in [t − lookback, t) and the source's history
 * reaches back the learning period. The state of these rules is the events table itself: the page being evaluated is
 * already inserted (same transaction), so counts include it, and nothing needs rebuilding after a restart or a rescan.
 */
export async function confirmCandidates(tx: Pick<PoolClient, 'query'>, sourceId: string, candidates: readonly Candidate[]): Promise<Confirmed[]> {
  const params: unknown[] = [sourceId];
  const param = (value: unknown) => `$${params.push(value)}`;
  const items = (indexes: number[]) =>
    param(
      JSON.stringify(
        indexes.map((i) => {
          const { rule, event, dedupKey } = candidates[i];
          return { i, ruleId: rule.id, key: dedupKey, eventId: event.eventId, at: new Date(event.timeMs).toISOString(), period: rule.dedupSeconds };
        }),
      ),
    );
  const ctes: string[] = [];
  const branches: string[] = [];
  const byRule = new Map<Rule, number[]>();
  candidates.forEach((candidate, index) => byRule.set(candidate.rule, [...(byRule.get(candidate.rule) ?? []), index]));

  const eventIndexes = candidates.flatMap((candidate, index) => (candidate.rule.kind === 'event' ? [index] : []));
  if (eventIndexes.length > 0) branches.push(`SELECT x.i, NULL::int AS n, NULL::text[] AS event_ids ${fromItems(items(eventIndexes))} ${NOT_DUPLICATE}`);
  for (const [rule, indexes] of byRule) {
    if (rule.kind === 'threshold') {
      const windowRows = `window_rows_${ctes.length}`;
      ctes.push(`${windowRows} AS MATERIALIZED (${thresholdRows(rule, indexes.map((i) => candidates[i]), param)})`);
      branches.push(thresholdBranch(rule, windowRows, items(indexes), param));
    }
    if (rule.kind === 'new-value') branches.push(newValueBranch(rule, items(indexes), param));
  }
  const text = (ctes.length > 0 ? `WITH ${ctes.join(',\n')}\n` : '') + branches.map((b) => `(${b})`).join('\nUNION ALL\n');
  // Planned for each page's values on purpose: a prepared statement's generic plan, made once from statistics that lag
  // far behind a backfill, was seen taking ten times longer for a whole backfill.
  const { rows } = await tx.query<{ i: number; n: number | null; event_ids: string[] | null }>(text, params);
  return rows.map((row) => ({ index: row.i, ...(row.n !== null ? { count: row.n, eventIds: row.event_ids ?? [] } : {}) }));
}

function fromItems(itemsParam: string): string {
  return `FROM jsonb_to_recordset(${itemsParam}::jsonb) AS x(i int, "ruleId" text, key text, "eventId" text, at timestamptz, period int)`;
}

// LATERAL ... LIMIT 1 keeps these per-candidate index lookups (each fits exactly one index of detections): written as
// EXISTS, the planner may decide to hash all of the source's detections instead.
const NOT_DUPLICATE = `
  LEFT JOIN LATERAL (SELECT true AS hit FROM detections d
                      WHERE d.source_id = $1 AND d.dedup_key = x.key AND d.rule_id = x."ruleId"
                        AND d.event_time > x.at - make_interval(secs => x.period) AND d.event_time < x.at + make_interval(secs => x.period)
                      LIMIT 1) AS same_key ON true
  LEFT JOIN LATERAL (SELECT true AS hit FROM detections d
                      WHERE d.source_id = $1 AND d.event_id = x."eventId" AND d.rule_id = x."ruleId"
                      LIMIT 1) AS same_event ON true
  WHERE same_key.hit IS NULL AND same_event.hit IS NULL`;

/**
 * The events every window of the batch may count, read in one range scan over the span the candidates cover: far
 * fewer rows than one scan per candidate window, since a page's windows overlap. The ORDER BY makes the time index
 * the cheapest path whatever the statistics say (they lag far behind a backfill).
 */
function thresholdRows(rule: ThresholdRule, candidates: Candidate[], param: (value: unknown) => string): string {
  const times = candidates.map((c) => c.event.timeMs);
  const from = new Date(Math.min(...times) - rule.windowSeconds * 1000).toISOString();
  const until = new Date(Math.max(...times)).toISOString();
  const keys = [...new Set(candidates.map((c) => c.dedupKey))];
  return `SELECT e.event_id, e.event_time, ${rule.countBy.sql} AS key FROM events e
     WHERE e.source_id = $1 AND e.event_time > ${param(from)}::timestamptz AND e.event_time <= ${param(until)}::timestamptz
       AND e.action LIKE ANY(${param(actionFilter(rule.actions).likePatterns)}::text[]) AND ${rule.countBy.sql} = ANY(${param(keys)}::text[])
     ORDER BY e.event_time`;
}

function thresholdBranch(rule: ThresholdRule, windowRows: string, itemsParam: string, param: (value: unknown) => string): string {
  return `SELECT x.i, w.n, w.event_ids ${fromItems(itemsParam)}
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS n, (array_agg(r.event_id ORDER BY r.event_time, r.event_id))[1:${MAX_EVIDENCE_EVENTS}] AS event_ids
        FROM ${windowRows} r
       WHERE r.key = x.key AND r.event_time > x.at - make_interval(secs => ${param(rule.windowSeconds)}::int) AND r.event_time <= x.at) AS w
    ${NOT_DUPLICATE} AND w.n >= ${param(rule.threshold)}::int`;
}

function newValueBranch(rule: NewValueRule, itemsParam: string, param: (value: unknown) => string): string {
  return `SELECT x.i, NULL::int AS n, NULL::text[] AS event_ids ${fromItems(itemsParam)}
    JOIN checkpoints c ON c.source_id = $1 AND c.backfill_from <= x.at - make_interval(days => ${param(rule.learningDays)}::int)
    ${NOT_DUPLICATE}
      AND NOT ${rule.valueOf.seenFunction}($1, x.key, x.at - make_interval(days => ${param(rule.lookbackDays)}::int), x.at)`;
}
