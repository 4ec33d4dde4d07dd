import type { PoolClient } from 'pg';
import { actionFilter } from './action-filter';
import type { Candidate, NewValueRule, Rule, ThresholdRule } from './rule';

/** A stored event or detection as the decision needs it: times in whole milliseconds, as candidates carry them. */
export interface StoredMark {
  eventId: string;
  timeMs: number;
}

/** What PostgreSQL knows that decides a page's candidates (see decide.ts). */
export interface StoredFacts {
  /** Threshold rules: per rule and counted value, the stored events of its actions around the candidates, by time. */
  windowEvents: Map<Rule, Map<string, StoredMark[]>>;
  /** Indexes of new-value candidates whose value is new and whose source has learned long enough. */
  novel: Set<number>;
  /** Stored detections of the candidates' rules and keys around their times, per `ruleKey(ruleId, key)`. */
  detectionsByKey: Map<string, StoredMark[]>;
  /** `ruleKey(ruleId, eventId)` of stored detections raised by a candidate's own event. */
  detectedEvents: Set<string>;
}

/** Time order, and event id order between events of the same millisecond. */
export function compareMarks(a: StoredMark, b: StoredMark): number {
  return a.timeMs - b.timeMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

export const ruleKey = (ruleId: string, value: string) => `${ruleId}\n${value}`;

interface FactRow {
  fact: 'window' | 'novel' | 'detection';
  i: number | null;
  key: string | null;
  event_id: string | null;
  ms: number | null;
  rule_id: string | null;
}

/**
 * Reads the facts for a page's candidates in ONE statement, because round trips and planning dominate what detections
 * cost a page; counting, novelty of an earliest value and
 * dedup are then decided in JavaScript. The page being evaluated is already inserted (same transaction), so the window
 * events include it, and nothing needs rebuilding after a restart or a rescan: the state of every rule is the events
 * and detections tables themselves.
 */
export async function loadStoredFacts(
  tx: Pick<PoolClient, 'query'>,
  sourceId: string,
  candidates: readonly Candidate[],
  { newEvents }: { newEvents: boolean },
): Promise<StoredFacts> {
  const params: unknown[] = [sourceId];
  const param = (value: unknown) => `$${params.push(value)}`;
  const byRule = new Map<Rule, number[]>();
  candidates.forEach((candidate, index) => {
    const ofRule = byRule.get(candidate.rule);
    if (ofRule) ofRule.push(index);
    else byRule.set(candidate.rule, [index]);
  });

  const thresholdRules: ThresholdRule[] = [];
  const branches = [detectionsOfKeys(candidates, param)];
  // Rows the ingest path has just inserted cannot have a detection yet: events are only ever deleted with their source,
  // which takes its detections along. Stored events (a rescan) may, so their ids are looked up too.
  if (!newEvents) branches.push(detectionsOfEvents(candidates, param));
  for (const [rule, indexes] of byRule) {
    const ofRule = indexes.map((i) => candidates[i]);
    if (rule.kind === 'threshold') branches.push(windowEvents(rule, thresholdRules.push(rule) - 1, ofRule, param));
    if (rule.kind === 'new-value') branches.push(novelValues(rule, indexes, ofRule, param));
  }

  // Planned for each page's values on purpose: a prepared statement's generic plan, made once from statistics that lag
  // far behind a backfill, was seen taking ten times longer for a whole backfill.
  const { rows } = await tx.query<FactRow>(branches.map((b) => `(${b})`).join('\nUNION ALL\n'), params);

  const facts: StoredFacts = {
    windowEvents: new Map(),
    novel: new Set(),
    detectionsByKey: new Map(),
    detectedEvents: new Set(),
  };
  for (const row of rows) {
    if (row.fact === 'novel') facts.novel.add(row.i!);
    else if (row.fact === 'window') {
      const rule = thresholdRules[row.i!];
      const byValue = facts.windowEvents.get(rule) ?? new Map<string, StoredMark[]>();
      facts.windowEvents.set(rule, byValue);
      append(byValue, row.key!, { eventId: row.event_id!, timeMs: row.ms! });
    } else {
      append(facts.detectionsByKey, ruleKey(row.rule_id!, row.key!), { eventId: row.event_id!, timeMs: row.ms! });
      facts.detectedEvents.add(ruleKey(row.rule_id!, row.event_id!));
    }
  }
  for (const byValue of facts.windowEvents.values()) {
    for (const marks of byValue.values()) marks.sort(compareMarks);
  }
  return facts;
}

function append<K>(map: Map<K, StoredMark[]>, key: K, mark: StoredMark): void {
  const marks = map.get(key);
  if (marks) marks.push(mark);
  else map.set(key, [mark]);
}

/** Epoch milliseconds, whole: the resolution candidates' times have (Date.parse), so both sides compare alike. */
const MS = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

const iso = (ms: number) => new Date(ms).toISOString();

const DETECTION_COLUMNS = `d.dedup_key AS key, d.event_id, ${MS('d.event_time')} AS ms, d.rule_id`;

/**
 * The detections that could make a candidate a duplicate: same rule and key within a period of the candidates' times,
 * one index range per rule and key. The LATERAL ... OFFSET 0 keeps those lookups: flattened into a join, the planner
 * may decide to hash all of the source's detections instead.
 */
function detectionsOfKeys(candidates: readonly Candidate[], param: (value: unknown) => string): string {
  const spans = new Map<string, { ruleId: string; key: string; since: number; until: number }>();
  for (const { rule, dedupKey, event } of candidates) {
    const id = ruleKey(rule.id, dedupKey);
    const span = spans.get(id) ?? { ruleId: rule.id, key: dedupKey, since: event.timeMs, until: event.timeMs };
    span.since = Math.min(span.since, event.timeMs - rule.dedupSeconds * 1000);
    span.until = Math.max(span.until, event.timeMs + rule.dedupSeconds * 1000 + 1);
    spans.set(id, span);
  }
  const keys = param(JSON.stringify([...spans.values()].map((s) => ({ ...s, since: iso(s.since), until: iso(s.until) }))));
  return `SELECT 'detection' AS fact, NULL::int AS i, d.* FROM jsonb_to_recordset(${keys}::jsonb) AS x("ruleId" text, key text, since timestamptz, until timestamptz)
      CROSS JOIN LATERAL (SELECT ${DETECTION_COLUMNS} FROM detections d
                           WHERE d.source_id = $1 AND d.dedup_key = x.key AND d.rule_id = x."ruleId"
                             AND d.event_time >= x.since AND d.event_time < x.until OFFSET 0) AS d`;
}

/** Every detection raised by a candidate's own event, whatever its key (the unique index on event, rule, source). */
function detectionsOfEvents(candidates: readonly Candidate[], param: (value: unknown) => string): string {
  const eventIds = param([...new Set(candidates.map((c) => c.event.eventId))]);
  return `SELECT 'detection' AS fact, NULL::int AS i, ${DETECTION_COLUMNS} FROM detections d WHERE d.event_id = ANY(${eventIds}::text[]) AND d.source_id = $1`;
}

/**
 * A threshold rule's stored events with the candidates' values, over the span their windows cover: one range scan for
 * the page, since its windows overlap. Exact action keys compare with `=`, so the (action, event_time) index serves
 * the scan and reads only the rule's events, not every event of the span.
 */
function windowEvents(rule: ThresholdRule, ruleIndex: number, candidates: readonly Candidate[], param: (value: unknown) => string): string {
  const times = candidates.map((c) => c.event.timeMs);
  const from = iso(Math.min(...times) - rule.windowSeconds * 1000);
  const until = iso(Math.max(...times) + 1);
  const values = [...new Set(candidates.map((c) => c.dedupKey))];
  const { exact, likePatterns } = actionFilter(rule.actions);
  const actions = exact ? `e.action = ANY(${param(rule.actions)}::text[])` : `e.action LIKE ANY(${param(likePatterns)}::text[])`;
  return `SELECT 'window' AS fact, ${ruleIndex} AS i, ${rule.countBy.sql} AS key, e.event_id, ${MS('e.event_time')} AS ms, NULL AS rule_id
      FROM stored_events e
     WHERE ${actions} AND e.event_time > ${param(from)}::timestamptz AND e.event_time < ${param(until)}::timestamptz
       AND e.source_id = $1 AND ${rule.countBy.sql} = ANY(${param(values)}::text[])`;
}

/** Which candidates of a new-value rule (and their indexes) carry a value unseen in the lookback, once the source has learned. */
function novelValues(rule: NewValueRule, indexes: number[], candidates: Candidate[], param: (value: unknown) => string): string {
  const items = param(JSON.stringify(candidates.map((c, n) => ({ i: indexes[n], key: c.dedupKey, at: iso(c.event.timeMs) }))));
  return `SELECT 'novel' AS fact, x.i, NULL AS key, NULL AS event_id, NULL::float8 AS ms, NULL AS rule_id
      FROM jsonb_to_recordset(${items}::jsonb) AS x(i int, key text, at timestamptz)
      JOIN checkpoints c ON c.source_id = $1 AND c.backfill_from <= x.at - make_interval(days => ${param(rule.learningDays)}::int)
     WHERE NOT ${rule.valueOf.seenFunction}($1, x.key, x.at - make_interval(days => ${param(rule.lookbackDays)}::int), x.at)`;
}
