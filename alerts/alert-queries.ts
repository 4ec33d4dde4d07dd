import type { Database } from '../store/database';
import { destinationIdOf, type AlertKind, type Severity } from './alert-store';
import type { Notice } from './notice-payload';
import type { DestinationFormat } from './destinations';

export interface DeliveryView {
  notice: Notice;
  format: DestinationFormat;
  /** Scheme, host and port only: the rest of a webhook URL is a credential. */
  destination: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

export interface AlertView {
  id: number;
  source: string;
  kind: AlertKind;
  dedupKey: string | null;
  severity: Severity;
  status: 'open' | 'resolved';
  title: string;
  message: string;
  details: Record<string, unknown>;
  openedAt: string;
  resolvedAt: string | null;
  resolution: string | null;
  resolvedBy: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  acknowledgement: string | null;
  deliveries: DeliveryView[];
  /** Detection alerts that group detections: how many joined, their first and last event time, their ids. */
  group: AlertGroupView | null;
}

export interface AlertGroupView {
  detections: number;
  firstEventAt: string;
  lastEventAt: string;
  /** The first MAX_LISTED_DETECTIONS ids (see `detections`): enough to start from, small enough for a listing. */
  detectionIds: number[];
}

const MAX_LISTED_DETECTIONS = 100;

/** Every open alert, then the most recently opened resolved ones, newest first within each. */
export async function listAlerts(db: Database, options: { sourceId?: string; recent: number }): Promise<AlertView[]> {
  const { rows } = await db.query(
    `(SELECT a.*, s.name AS source_name FROM alerts a JOIN sources s ON s.id = a.source_id
       WHERE a.status = 'open' AND ($1::uuid IS NULL OR a.source_id = $1) ORDER BY a.opened_at DESC)
     UNION ALL
     (SELECT a.*, s.name AS source_name FROM alerts a JOIN sources s ON s.id = a.source_id
       WHERE a.status = 'resolved' AND ($1::uuid IS NULL OR a.source_id = $1) ORDER BY a.opened_at DESC LIMIT $2)`,
    [options.sourceId ?? null, options.recent],
  );
  const ids = rows.map((row) => Number(row.id));
  const { rows: deliveries } = await db.query(
    `SELECT d.alert_id, d.notice, d.format, d.destination_id, t.shown_url, d.status, d.attempts, d.last_error, d.next_attempt_at, d.delivered_at
       FROM alert_deliveries d LEFT JOIN alert_destinations t ON ${destinationIdOf('t')} = d.destination_id
      WHERE d.alert_id = ANY($1::bigint[]) ORDER BY d.id`,
    [ids],
  );
  const { rows: grouped } = await db.query<{ alert_id: string; ids: string[] }>(
    `SELECT alert_id, (array_agg(id ORDER BY id))[1:$2] AS ids FROM detections WHERE alert_id = ANY($1::bigint[]) GROUP BY alert_id`,
    [rows.filter((row) => row.group_key !== null).map((row) => Number(row.id)), MAX_LISTED_DETECTIONS],
  );
  const detectionIds = new Map(grouped.map((g) => [Number(g.alert_id), g.ids.map(Number)]));
  return rows.map((row) => ({
    id: Number(row.id),
    source: row.source_name,
    kind: row.kind,
    dedupKey: row.dedup_key || null,
    severity: row.severity,
    status: row.status,
    title: row.title,
    message: row.message,
    details: row.details,
    openedAt: row.opened_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    resolution: row.resolution,
    resolvedBy: row.resolved_by,
    acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: row.acknowledged_by,
    acknowledgement: row.acknowledgement,
    deliveries: deliveries
      .filter((d) => Number(d.alert_id) === Number(row.id))
      .map((d) => ({
        notice: d.notice,
        format: d.format,
        destination: d.shown_url ?? `${d.destination_id} (no longer configured)`,
        status: d.status,
        attempts: d.attempts,
        lastError: d.last_error,
        nextAttemptAt: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
        deliveredAt: d.delivered_at?.toISOString() ?? null,
      })),
    group:
      row.group_key === null
        ? null
        : {
            detections: row.detection_count,
            firstEventAt: row.first_event_at.toISOString(),
            lastEventAt: row.last_event_at.toISOString(),
            detectionIds: detectionIds.get(Number(row.id)) ?? [],
          },
  }));
}

/** One word or phrase per alert for a table: how its notices fared. */
export function summarizeDeliveries(deliveries: DeliveryView[]): string {
  if (deliveries.length === 0) return 'no destination';
  const failed = deliveries.filter((d) => d.status === 'failed');
  const pending = deliveries.filter((d) => d.status === 'pending');
  if (failed.length === 0 && pending.length === 0) return 'delivered';
  const parts: string[] = [];
  if (pending.length) parts.push(`${pending.length} undelivered, retrying${pending[0].lastError ? ` (${pending[0].lastError}, ${pending[0].attempts} attempts)` : ''}`);
  if (failed.length) parts.push(`${failed.length} undelivered, gave up${failed[0].lastError ? ` (${failed[0].lastError})` : ''}`);
  return parts.join('; ');
}

/** Open alerts per source and kind, for metrics read at scrape time. */
export async function countOpenAlerts(db: Pick<Database, 'query'>): Promise<{ source: string; kind: AlertKind; open: number }[]> {
  const { rows } = await db.query<{ name: string; kind: AlertKind; open: number }>(
    `SELECT s.name, a.kind, count(*)::int AS open
       FROM alerts a JOIN sources s ON s.id = a.source_id
      WHERE a.status = 'open'
      GROUP BY s.name, a.kind`,
  );
  return rows.map((row) => ({ source: row.name, kind: row.kind, open: row.open }));
}

/** Notices still to deliver and those given up on, for metrics read at scrape time. */
export async function countUndeliveredNotices(db: Pick<Database, 'query'>): Promise<{ pending: number; failed: number }> {
  const { rows } = await db.query<{ pending: number; failed: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'failed')::int AS failed
       FROM alert_deliveries WHERE status IN ('pending', 'failed')`,
  );
  return rows[0];
}
