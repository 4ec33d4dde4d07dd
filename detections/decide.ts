import type { Candidate, ThresholdRule } from './rule';
import { compareMarks, ruleKey, StoredFacts, StoredMark } from './stored-facts';

/** A candidate that becomes a detection, with the events it rests on. */
export interface Finding extends Candidate {
  eventIds: string[];
  /** Threshold rules: how many events the window held. */
  count?: number;
}

/** Event ids kept with a threshold detection, at most: enough to investigate, small enough for an alert. */
export const MAX_EVIDENCE_EVENTS = 50;

/**
 * Decides which candidates become detections, in event-time order: a threshold candidate needs its window
 * (t − window, t] to hold enough events with its value, a new-value candidate a novel value; and none may have a
 * detection of its rule and key within the rule's dedup period on either side (stored, or kept earlier in this
 * batch), nor one of its own event. Times compare in whole milliseconds.
 */
export function decide(candidates: readonly Candidate[], facts: StoredFacts): Finding[] {
  const order = candidates.map((_, index) => index);
  order.sort((a, b) => compareMarks(candidates[a].event, candidates[b].event));
  const raised = new Map<string, StoredMark[]>();
  const findings: Finding[] = [];
  for (const index of order) {
    const candidate = candidates[index];
    const { rule, event } = candidate;
    let finding: Finding = { ...candidate, eventIds: [event.eventId] };
    if (rule.kind === 'threshold') {
      const window = windowOf(rule, facts.windowEvents.get(rule)?.get(candidate.dedupKey) ?? [], event.timeMs);
      if (window.count < rule.threshold) continue;
      finding = { ...finding, ...window };
    } else if (rule.kind === 'new-value' && !facts.novel.has(index)) {
      continue;
    }
    const key = ruleKey(rule.id, candidate.dedupKey);
    const earlier = raised.get(key) ?? [...(facts.detectionsByKey.get(key) ?? [])];
    const period = rule.dedupSeconds * 1000;
    if (facts.detectedEvents.has(ruleKey(rule.id, event.eventId)) || earlier.some((mark) => Math.abs(mark.timeMs - event.timeMs) < period)) continue;
    raised.set(key, [...earlier, event]);
    findings.push(finding);
  }
  return findings;
}

/** The events of `sorted` (by time) inside (t − window, t]: how many, and the first MAX_EVIDENCE_EVENTS ids. */
function windowOf(rule: ThresholdRule, sorted: readonly StoredMark[], timeMs: number): { count: number; eventIds: string[] } {
  const first = firstAfter(sorted, timeMs - rule.windowSeconds * 1000);
  const end = firstAfter(sorted, timeMs);
  return { count: end - first, eventIds: sorted.slice(first, Math.min(end, first + MAX_EVIDENCE_EVENTS)).map((mark) => mark.eventId) };
}

/** The index of the first mark later than timeMs (binary search). */
function firstAfter(sorted: readonly StoredMark[], timeMs: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle].timeMs <= timeMs) low = middle + 1;
    else high = middle;
  }
  return low;
}
