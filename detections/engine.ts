import type { PoolClient } from 'pg';
import type { InsertedEventsHook } from '../activities/ingest-page';
import { actionFilter } from './action-filter';
import { detectionAlert, OpenAlert } from './alert';
import { DetectionEvent, EvaluatedRow, toDetectionEvent } from './event-view';
import { DETECTION_PACKS, PackedRule, rulesOfPacks } from './registry';
import { DetectionPack, DetectionSettings, EventRule, NewValueRule, ThresholdRule } from './rule';
import { insertDetection, isDuplicateDetection, loadDetectionConfig, lockSourceDetections } from './store';
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
  openAlert: OpenAlert;
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
    await evaluateEvents(tx, source, inserted, rulesOfPacks(config.packIds, deps.packs ?? DETECTION_PACKS), config.settings, deps.openAlert);
  };
}

/** Evaluates rows already stored in the transaction's view of `events`; returns how many detections it raised. */
export async function evaluateEvents(
  tx: PoolClient,
  source: DetectionSource,
  rows: readonly EvaluatedRow[],
  rules: readonly PackedRule[],
  settings: DetectionSettings,
  openAlert: OpenAlert,
): Promise<number> {
  const findings = await findingsOf(tx, source.id, rows, rules, settings);
  if (findings.length === 0) return 0;
  // In event order, so that of two findings within one dedup period the earlier one is the detection.
  findings.sort((a, b) => a.event.timeMs - b.event.timeMs || a.event.eventId.localeCompare(b.event.eventId));
  await lockSourceDetections(tx, source.id);
  let raised = 0;
  for (const finding of findings) {
    if (await raise(tx, source, finding, settings, openAlert)) raised++;
  }
  return raised;
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

/** Records the detection and opens its alert, unless the rule already raised one for this key within its period. */
async function raise(tx: PoolClient, source: DetectionSource, finding: Finding, settings: DetectionSettings, openAlert: OpenAlert): Promise<boolean> {
  const { rule, event } = finding;
  const eventTime = new Date(event.timeMs);
  const duplicate = await isDuplicateDetection(tx, {
    sourceId: source.id,
    ruleId: rule.id,
    dedupKey: finding.dedupKey,
    eventId: event.eventId,
    eventTime,
    periodSeconds: rule.dedupSeconds,
  });
  if (duplicate) return false;
  const title = rule.alertTitle(event, settings);
  const { alertId } = await openAlert(
    tx,
    detectionAlert({
      sourceId: source.id,
      sourceName: source.name,
      packId: finding.packId,
      rule,
      dedupKey: finding.dedupKey,
      title,
      eventId: event.eventId,
      eventIds: finding.eventIds,
      eventTime,
      actor: event.actor,
      ip: event.ip,
      country: event.country,
      count: finding.count,
    }),
  );
  await insertDetection(tx, {
    sourceId: source.id,
    packId: finding.packId,
    ruleId: rule.id,
    severity: rule.severity,
    dedupKey: finding.dedupKey,
    eventId: event.eventId,
    eventIds: finding.eventIds,
    eventTime,
    actorId: event.actor.id,
    actorName: event.actor.name,
    actorEmail: event.actor.email,
    ip: event.ip,
    title,
    alertId,
  });
  return true;
}
