import type { PoolClient } from 'pg';
import type { InsertedEventsHook } from '../store/events';
import { actionFilter } from './action-filter';
import { detectionAlert } from './alert';
import { DetectionEvent, EvaluatedRow, toDetectionEvent } from './event-view';
import { detectionPacks, PackedRule, rulesOfPacks } from './registry';
import { decide, Finding } from './decide';
import type { Candidate, DetectionPack, DetectionSettings } from './rule';
import { loadStoredFacts } from './stored-facts';
import { groupFindings, groupKeyOf, lockOpenGroups } from './group';
import { indexableKey } from './indexable-key';
import { DETECTION_CONFIG_SQL, NewDetection, parseDetectionConfig, recordDetections } from './store';

export interface DetectionSource {
  id: string;
  name: string;
}

export interface EngineOptions {
  /** The packs ids resolve against; the registry (shipped and team packs) unless a test brings its own. */
  packs?: readonly DetectionPack[];
}

/**
 * The ingest path's onEventsInserted hook: runs the source's enabled packs over the page's newly inserted rows inside
 * the page's transaction. A row is new exactly once, so no event is evaluated twice by ingestion.
 *
 * The enabled packs and settings come with the page's checkpoint update (contextSql), so a source with no pack
 * enabled costs no statement, and one with packs one statement per page with candidates, and a second when something
 * fired. A pack enabled or disabled while a page is being written applies from the next page.
 */
export function createDetectionHook(options: EngineOptions = {}): InsertedEventsHook {
  const packs = options.packs ?? detectionPacks();
  return {
    contextSql: DETECTION_CONFIG_SQL,
    async run(tx, source, inserted, context) {
      const config = parseDetectionConfig(String(context));
      if (config.packIds.length === 0) return { alertsOpened: 0 };
      // Only alerts that open change the source's AlertOpen: a detection that joins an open alert leaves it as it is.
      return evaluateEvents(tx, source, inserted, rulesOfPacks(config.packIds, packs), config.settings, { newEvents: true });
    },
  };
}

/**
 * Evaluates rows already stored in the transaction's view of `events` with the given rules; returns the rule id of
 * each detection it raised, and how many alerts they opened. `newEvents`: the rows were inserted by this transaction (ingestion), not read back (a rescan). At most three statements, whatever the number of rows, rules and findings: read the facts the
 * candidates need, lock the open groups they may join, then record the detections with their alerts. The transaction must hold the source's checkpoint
 * row: that lock serialises every detection write of a source (an ingested page holds it from advancing the
 * checkpoint, before its hook; a rescan batch takes it first), so the facts include every detection committed before
 * the insert that follows them.
 */
export async function evaluateEvents(
  tx: PoolClient,
  source: DetectionSource,
  rows: readonly EvaluatedRow[],
  rules: readonly PackedRule[],
  settings: DetectionSettings,
  { newEvents }: { newEvents: boolean },
): Promise<{ rulesFired: string[]; alertsOpened: number }> {
  const candidates = candidatesOf(rows, rules, settings);
  if (candidates.length === 0) return { rulesFired: [], alertsOpened: 0 };
  const findings = decide(candidates, await loadStoredFacts(tx, source.id, candidates, { newEvents }));
  const alertsOpened = findings.length > 0 ? await raise(tx, source, findings, settings) : 0;
  return { rulesFired: findings.map((finding) => finding.rule.id), alertsOpened };
}

function candidatesOf(rows: readonly EvaluatedRow[], rules: readonly PackedRule[], settings: DetectionSettings): Candidate[] {
  // Rules test each distinct action of the page once, not each row; rows become views only when some rule's actions
  // select them, and at most once.
  const rowsByAction = new Map<string, EvaluatedRow[]>();
  for (const row of rows) {
    const ofAction = rowsByAction.get(row.action);
    if (ofAction) ofAction.push(row);
    else rowsByAction.set(row.action, [row]);
  }
  const views = new Map<string, DetectionEvent[]>();
  const eventsOf = (action: string) => {
    let events = views.get(action);
    if (!events) views.set(action, (events = rowsByAction.get(action)!.map(toDetectionEvent)));
    return events;
  };
  const candidates: Candidate[] = [];
  for (const { packId, rule } of rules) {
    const filter = actionFilter(rule.actions);
    const matched = [...rowsByAction.keys()].filter((action) => filter.test(action)).flatMap(eventsOf).filter((event) => rule.match(event, settings));
    if (rule.kind === 'event') {
      for (const event of matched) candidates.push({ packId, rule, event, dedupKey: indexableKey(rule.key(event, settings)) });
    } else if (rule.kind === 'threshold') {
      for (const event of matched) {
        const value = rule.countBy.read(event);
        if (value !== null) candidates.push({ packId, rule, event, dedupKey: indexableKey(value) });
      }
    } else {
      // Only the earliest event with each value can be new: the later ones of the page have it in their lookback.
      const earliest = new Map<string, DetectionEvent>();
      for (const event of matched) {
        const value = rule.valueOf.read(event);
        const known = value === null ? undefined : earliest.get(value);
        if (value !== null && (!known || event.timeMs < known.timeMs)) earliest.set(value, event);
      }
      for (const [value, event] of earliest) candidates.push({ packId, rule, event, dedupKey: indexableKey(value) });
    }
  }
  return candidates;
}

/**
 * Records the detections: each joins the open alert of its rule and subject within the rule's period, or opens a new
 * one; in one statement for the whole batch after the lookup of the open groups. Returns how many alerts it opened.
 */
async function raise(tx: PoolClient, source: DetectionSource, findings: Finding[], settings: DetectionSettings): Promise<number> {
  const plan = groupFindings(findings, await lockOpenGroups(tx, source.id, [...new Set(findings.map((finding) => groupKeyOf(finding, settings)))]), settings);
  const detectionOf = (finding: Finding): NewDetection => {
    const { packId, rule, event, eventIds, dedupKey } = finding;
    return {
      sourceId: source.id,
      packId,
      ruleId: rule.id,
      severity: rule.severity,
      dedupKey,
      eventId: event.eventId,
      eventIds,
      eventTime: new Date(event.timeMs),
      actorId: event.actor.id,
      actorName: event.actor.name,
      actorEmail: event.actor.email,
      ip: event.ip,
      title: rule.alertTitle(event, settings),
    };
  };
  const opened = plan.opened.map((group) => {
    const detections = group.map(detectionOf);
    const [{ packId, rule, event, eventIds, count }] = group;
    const alert = detectionAlert({
      sourceId: source.id,
      sourceName: source.name,
      packId,
      rule,
      title: detections[0].title,
      eventId: event.eventId,
      eventIds,
      eventTime: detections[0].eventTime,
      actor: event.actor,
      ip: event.ip,
      country: event.country,
      count,
      group: { key: groupKeyOf(group[0], settings), count: group.length, firstEventAt: detections[0].eventTime, lastEventAt: detections[detections.length - 1].eventTime },
    });
    return { alert, detections };
  });
  const joined = plan.joined.map(({ group, findings: joining }) => ({ alertId: group.alertId, detections: joining.map(detectionOf) }));
  await recordDetections(tx, { opened, joined });
  return opened.length;
}
