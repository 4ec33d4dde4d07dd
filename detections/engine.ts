import type { PoolClient } from 'pg';
import type { InsertedEventsHook } from '../activities/ingest-page';
import { actionFilter } from './action-filter';
import { detectionAlert, OpenAlerts } from './alert';
import { DetectionEvent, EvaluatedRow, toDetectionEvent } from './event-view';
import { DETECTION_PACKS, PackedRule, rulesOfPacks } from './registry';
import { Candidate, confirmCandidates } from './candidate-checks';
import type { DetectionPack, DetectionSettings } from './rule';
import { insertDetections, loadDetectionConfig } from './store';

export interface DetectionSource {
  id: string;
  name: string;
}

interface Finding extends Candidate {
  eventIds: string[];
  count?: number;
}

export interface EngineDependencies {
  openAlerts: OpenAlerts;
  /** The packs ids resolve against; the shipped registry unless a test brings its own. */
  packs?: readonly DetectionPack[];
}

/**
 * The ingest path's onEventsInserted hook: runs the source's enabled packs over the page's newly inserted rows inside
 * the page's transaction. A row is new exactly once, so no event is evaluated twice by ingestion; and a source with
 * no pack enabled costs one indexed lookup per page.
 */
export function createDetectionHook(deps: EngineDependencies): InsertedEventsHook {
  return async (tx, source, inserted) => {
    const config = await loadDetectionConfig(tx, source.id);
    if (config.packIds.length === 0) return;
    await evaluateEvents(tx, source, inserted, rulesOfPacks(config.packIds, deps.packs ?? DETECTION_PACKS), config.settings, deps.openAlerts);
  };
}

/**
 * Evaluates rows already stored in the transaction's view of `events`; returns how many detections it raised. At most
 * three statements, whatever the number of rows, rules and findings: confirm the candidates, open their alerts, record
 * the detections. The transaction must hold the source's checkpoint row: that lock serialises every detection write of
 * a source (an ingested page holds it from advancing the checkpoint, before its hook; a rescan batch takes it first),
 * so the dedup check sees every detection committed before the insert that follows it.
 */
export async function evaluateEvents(
  tx: PoolClient,
  source: DetectionSource,
  rows: readonly EvaluatedRow[],
  rules: readonly PackedRule[],
  settings: DetectionSettings,
  openAlerts: OpenAlerts,
): Promise<number> {
  const candidates = candidatesOf(rows, rules, settings);
  if (candidates.length === 0) return 0;
  const confirmed = await confirmCandidates(tx, source.id, candidates);
  const detections = firstPerPeriod(confirmed.map(({ index, count, eventIds }) => ({ ...candidates[index], count, eventIds: eventIds ?? [candidates[index].event.eventId] })));
  await raise(tx, source, detections, settings, openAlerts);
  return detections.length;
}

function candidatesOf(rows: readonly EvaluatedRow[], rules: readonly PackedRule[], settings: DetectionSettings): Candidate[] {
  // Rows become views only when some rule's actions select them, and at most once.
  const views = new Map<EvaluatedRow, DetectionEvent>();
  const view = (row: EvaluatedRow) => {
    let event = views.get(row);
    if (!event) views.set(row, (event = toDetectionEvent(row)));
    return event;
  };
  const candidates: Candidate[] = [];
  for (const { packId, rule } of rules) {
    const filter = actionFilter(rule.actions);
    const matched = rows.filter((row) => filter.test(row.action)).map(view).filter((event) => rule.match(event, settings));
    if (rule.kind === 'event') {
      for (const event of matched) candidates.push({ packId, rule, event, dedupKey: rule.key(event, settings) });
    } else if (rule.kind === 'threshold') {
      for (const event of matched) {
        const value = rule.countBy.read(event);
        if (value !== null) candidates.push({ packId, rule, event, dedupKey: value });
      }
    } else {
      // Only the earliest event with each value can be new: the later ones of the page have it in their lookback.
      const earliest = new Map<string, DetectionEvent>();
      for (const event of matched) {
        const value = rule.valueOf.read(event);
        const known = value === null ? undefined : earliest.get(value);
        if (value !== null && (!known || event.timeMs < known.timeMs)) earliest.set(value, event);
      }
      for (const [value, event] of earliest) candidates.push({ packId, rule, event, dedupKey: value });
    }
  }
  return candidates;
}

/**
 * Of confirmed candidates of one rule and key, keeps the earliest and then each next one that lies a full dedup period
 * after the last kept: a stored detection was already ruled out in SQL, this handles those of the same batch.
 */
function firstPerPeriod(findings: Finding[]): Finding[] {
  findings.sort((a, b) => a.event.timeMs - b.event.timeMs || a.event.eventId.localeCompare(b.event.eventId));
  const lastKept = new Map<string, number>();
  return findings.filter((finding) => {
    const key = `${finding.rule.id}\n${finding.dedupKey}`;
    const previous = lastKept.get(key);
    if (previous !== undefined && finding.event.timeMs - previous < finding.rule.dedupSeconds * 1000) return false;
    lastKept.set(key, finding.event.timeMs);
    return true;
  });
}

/** Opens the detections' alerts and records the detections, each in one statement for the whole batch. */
async function raise(tx: PoolClient, source: DetectionSource, detections: Finding[], settings: DetectionSettings, openAlerts: OpenAlerts): Promise<void> {
  if (detections.length === 0) return;
  const titled = detections.map((finding) => ({ ...finding, title: finding.rule.alertTitle(finding.event, settings), eventTime: new Date(finding.event.timeMs) }));
  const alerts = await openAlerts(
    tx,
    titled.map((d) =>
      detectionAlert({
        sourceId: source.id,
        sourceName: source.name,
        packId: d.packId,
        rule: d.rule,
        title: d.title,
        eventId: d.event.eventId,
        eventIds: d.eventIds,
        eventTime: d.eventTime,
        actor: d.event.actor,
        ip: d.event.ip,
        country: d.event.country,
        count: d.count,
      }),
    ),
  );
  await insertDetections(
    tx,
    titled.map((d, i) => ({
      sourceId: source.id,
      packId: d.packId,
      ruleId: d.rule.id,
      severity: d.rule.severity,
      dedupKey: d.dedupKey,
      eventId: d.event.eventId,
      eventIds: d.eventIds,
      eventTime: d.eventTime,
      actorId: d.event.actor.id,
      actorName: d.event.actor.name,
      actorEmail: d.event.actor.email,
      ip: d.event.ip,
      title: d.title,
      alertId: alerts[i].alertId,
    })),
  );
}
