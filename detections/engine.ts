import type { PoolClient } from 'pg';
import type { InsertedEventsHook } from '../activities/ingest-page';
import { actionFilter } from './action-filter';
import { detectionAlert, OpenAlerts } from './alert';
import { DetectionEvent, EvaluatedRow, toDetectionEvent } from './event-view';
import { DETECTION_PACKS, PackedRule, rulesOfPacks } from './registry';
import { DetectionPack, DetectionSettings, EventRule, NewValueRule, ThresholdRule } from './rule';
import { insertDetections, loadDetectionConfig, storedDuplicates } from './store';
import { countInWindows, unseenValues, WindowProbe } from './window-queries';

export interface DetectionSource {
  id: string;
  name: string;
}

interface Finding {
  packId: string;
  rule: PackedRule['rule'];
  event: DetectionEvent;
  dedupKey: string;
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
 * Evaluates rows already stored in the transaction's view of `events`; returns how many detections it raised.
 * The transaction must hold the source's checkpoint row: that lock serialises every detection write of a source (an
 * ingested page holds it from advancing the checkpoint, before its hook; a rescan batch takes it first), so the dedup
 * check below sees every detection committed before the insert that follows it.
 */
export async function evaluateEvents(
  tx: PoolClient,
  source: DetectionSource,
  rows: readonly EvaluatedRow[],
  rules: readonly PackedRule[],
  settings: DetectionSettings,
  openAlerts: OpenAlerts,
): Promise<number> {
  const findings = await findingsOf(tx, source.id, rows, rules, settings);
  if (findings.length === 0) return 0;
  const detections = await withoutDuplicates(tx, source.id, findings);
  await raise(tx, source, detections, settings, openAlerts);
  return detections.length;
}

async function findingsOf(
  tx: PoolClient,
  sourceId: string,
  rows: readonly EvaluatedRow[],
  rules: readonly PackedRule[],
  settings: DetectionSettings,
): Promise<Finding[]> {
  // Raw bodies are parsed only for rows some rule's actions select, and at most once per row.
  const views = new Map<EvaluatedRow, DetectionEvent>();
  const view = (row: EvaluatedRow) => {
    let event = views.get(row);
    if (!event) views.set(row, (event = toDetectionEvent(row)));
    return event;
  };
  const findings: Finding[] = [];
  for (const { packId, rule } of rules) {
    const filter = actionFilter(rule.actions);
    const matched = rows.filter((row) => filter.test(row.action)).map(view).filter((event) => rule.match(event, settings));
    if (matched.length === 0) continue;
    if (rule.kind === 'event') findings.push(...eventFindings(packId, rule, matched, settings));
    else if (rule.kind === 'threshold') findings.push(...(await thresholdFindings(tx, sourceId, packId, rule, matched)));
    else findings.push(...(await newValueFindings(tx, sourceId, packId, rule, matched)));
  }
  return findings;
}

function eventFindings(packId: string, rule: EventRule, matched: DetectionEvent[], settings: DetectionSettings): Finding[] {
  return matched.map((event) => ({ packId, rule, event, dedupKey: rule.key(event, settings), eventIds: [event.eventId] }));
}

function probesOf(events: DetectionEvent[], read: (event: DetectionEvent) => string | null): { probes: WindowProbe[]; byId: Map<string, DetectionEvent> } {
  const byId = new Map<string, DetectionEvent>();
  const probes: WindowProbe[] = [];
  for (const event of events) {
    const value = read(event);
    if (value === null) continue;
    byId.set(event.eventId, event);
    probes.push({ eventId: event.eventId, value, at: new Date(event.timeMs) });
  }
  return { probes, byId };
}

async function thresholdFindings(tx: PoolClient, sourceId: string, packId: string, rule: ThresholdRule, matched: DetectionEvent[]): Promise<Finding[]> {
  const { probes, byId } = probesOf(matched, rule.countBy.read);
  if (probes.length === 0) return [];
  const counts = await countInWindows(tx, {
    sourceId,
    field: rule.countBy,
    likePatterns: actionFilter(rule.actions).likePatterns,
    windowSeconds: rule.windowSeconds,
    threshold: rule.threshold,
    probes,
  });
  return counts.map(({ eventId, count, eventIds }) => {
    const event = byId.get(eventId)!;
    return { packId, rule, event, dedupKey: rule.countBy.read(event)!, eventIds, count };
  });
}

async function newValueFindings(tx: PoolClient, sourceId: string, packId: string, rule: NewValueRule, matched: DetectionEvent[]): Promise<Finding[]> {
  const { probes, byId } = probesOf(matched, rule.valueOf.read);
  if (probes.length === 0) return [];
  const unseen = await unseenValues(tx, { sourceId, field: rule.valueOf, lookbackDays: rule.lookbackDays, learningDays: rule.learningDays, probes });
  return unseen.map(({ eventId, value }) => ({ packId, rule, event: byId.get(eventId)!, dedupKey: value, eventIds: [eventId] }));
}

/**
 * Drops findings that a stored detection, or an earlier finding of this batch, makes duplicates (same rule and key
 * within the rule's period). Taken in event order, so of two findings within one period the earlier is the detection.
 */
async function withoutDuplicates(tx: PoolClient, sourceId: string, findings: Finding[]): Promise<Finding[]> {
  findings.sort((a, b) => a.event.timeMs - b.event.timeMs || a.event.eventId.localeCompare(b.event.eventId));
  const stored = await storedDuplicates(
    tx,
    sourceId,
    findings.map((f) => ({ ruleId: f.rule.id, dedupKey: f.dedupKey, eventId: f.event.eventId, eventTime: new Date(f.event.timeMs), periodSeconds: f.rule.dedupSeconds })),
  );
  const lastKept = new Map<string, number>();
  return findings.filter((finding, index) => {
    if (stored.has(index)) return false;
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
        dedupKey: d.dedupKey,
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
