import type { Database } from '../store/database';
import { actionFilter } from './action-filter';
import { DetectionSource, evaluateEvents } from './engine';
import type { EvaluatedRow } from './event-view';
import { detectionPacks, rulesOfPacks } from './registry';
import type { DetectionPack } from './rule';
import { holdSourceCheckpoint, loadDetectionSettings } from './store';

export interface RescanOptions {
  /** Rows per transaction: small enough that ingestion of the same source is held up only briefly. */
  batchSize?: number;
  packs?: readonly DetectionPack[];
  now?: Date;
}

export interface RescanResult {
  /** Stored events whose action some rule of the packs looks at. */
  eventsEvaluated: number;
  detections: number;
  /** Alerts those detections opened: the others joined an open alert of their rule and subject. */
  alertsOpened: number;
}

/**
 * Runs the given packs' rules over the source's stored events of the last `days` days (by event time), oldest first.
 * Events that already raised a detection, or fall within the dedup period of one, raise nothing: a rescan can be
 * repeated, and can run while the source is ingesting.
 */
export async function rescanStoredEvents(db: Database, source: DetectionSource, packIds: string[], days: number, options: RescanOptions = {}): Promise<RescanResult> {
  const rules = rulesOfPacks(packIds, options.packs ?? detectionPacks());
  const patterns = [...new Set(rules.flatMap(({ rule }) => actionFilter(rule.actions).likePatterns))];
  const settings = await loadDetectionSettings(db, source.id);
  const since = new Date((options.now ?? new Date()).getTime() - days * 24 * 3600_000);
  const batchSize = options.batchSize ?? 1000;
  const result: RescanResult = { eventsEvaluated: 0, detections: 0, alertsOpened: 0 };
  let after: { time: Date; eventId: string } | null = null;
  for (;;) {
    const batch = await db.withTransaction(async (tx) => {
      await holdSourceCheckpoint(tx, source.id);
      const rows = await readBatch(tx, source.id, patterns, since, after, batchSize);
      const raised = rows.length > 0 ? await evaluateEvents(tx, source, rows.map((r) => r.row), rules, settings, { newEvents: false }) : undefined;
      return { rows, raised };
    });
    result.eventsEvaluated += batch.rows.length;
    result.detections += batch.raised?.rulesFired.length ?? 0;
    result.alertsOpened += batch.raised?.alertsOpened ?? 0;
    if (batch.rows.length < batchSize) return result;
    const last = batch.rows[batch.rows.length - 1];
    after = { time: last.time, eventId: last.row.eventId };
  }
}

async function readBatch(
  tx: Pick<Database, 'query'>,
  sourceId: string,
  likePatterns: string[],
  since: Date,
  after: { time: Date; eventId: string } | null,
  limit: number,
): Promise<Array<{ time: Date; row: EvaluatedRow }>> {
  const { rows } = await tx.query<{
    event_id: string;
    event_time: Date;
    action: string;
    actor_id: string;
    actor_name: string | null;
    actor_email: string | null;
    ip: string | null;
    location: string | null;
    raw: string;
  }>(
    `SELECT event_id, event_time, action, actor_id, actor_name, actor_email, ip, location::text AS location, raw::text AS raw
       FROM stored_events
      WHERE source_id = $1 AND event_time >= $2 AND action LIKE ANY($3::text[])
        AND ($4::timestamptz IS NULL OR (event_time, event_id) > ($4::timestamptz, $5::text))
      ORDER BY event_time, event_id
      LIMIT $6`,
    [sourceId, since, likePatterns, after?.time ?? null, after?.eventId ?? null, limit],
  );
  return rows.map((r) => ({
    time: r.event_time,
    row: {
      eventId: r.event_id,
      eventTime: r.event_time.toISOString(),
      action: r.action,
      actorId: r.actor_id,
      actorName: r.actor_name,
      actorEmail: r.actor_email,
      ip: r.ip,
      location: r.location,
      raw: r.raw,
    },
  }));
}
