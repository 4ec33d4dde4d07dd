import type { QueryResult, QueryResultRow } from 'pg';
import { alertsParameter, growingAlerts, growthParameter, openingAlerts } from '../alerts/alert-store';
import type { DetectionAlert } from './alert';
import { DEFAULT_DETECTION_SETTINGS, DetectionSettings, Severity } from './rule';

/** A pool, a Database or a transaction's client: whatever can run a parameterized query. */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>>;
}

export interface DetectionConfig {
  packIds: string[];
  settings: DetectionSettings;
}

/**
 * An SQL expression for the source's detection config as JSON text (`$1` is the source id): two primary-key lookups,
 * cheap enough to ride along with every page's checkpoint update (see createDetectionHook).
 */
export const DETECTION_CONFIG_SQL = `json_build_object(
    'packIds', COALESCE((SELECT array_agg(pack_id ORDER BY pack_id) FROM source_detection_packs WHERE source_id = $1), '{}'),
    'allowedInviteDomains', (SELECT allowed_invite_domains FROM source_detection_settings WHERE source_id = $1),
    'groupPeriods', (SELECT group_periods FROM source_detection_settings WHERE source_id = $1))::text`;

export function parseDetectionConfig(text: string): DetectionConfig {
  const { packIds, allowedInviteDomains, groupPeriods } = JSON.parse(text) as {
    packIds: string[];
    allowedInviteDomains: string[] | null;
    groupPeriods: Record<string, number> | null;
  };
  return {
    packIds,
    settings: {
      allowedInviteDomains: allowedInviteDomains ?? DEFAULT_DETECTION_SETTINGS.allowedInviteDomains,
      groupPeriods: groupPeriods ?? DEFAULT_DETECTION_SETTINGS.groupPeriods,
    },
  };
}

/** Enables a pack for a source from now on; returns false when it was already enabled (its enabled_at is kept). */
export async function enablePack(sql: Sql, sourceId: string, packId: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    'INSERT INTO source_detection_packs (source_id, pack_id) VALUES ($1, $2) ON CONFLICT (source_id, pack_id) DO NOTHING',
    [sourceId, packId],
  );
  return rowCount === 1;
}

/** Returns false when the pack was not enabled. */
export async function disablePack(sql: Sql, sourceId: string, packId: string): Promise<boolean> {
  const { rowCount } = await sql.query('DELETE FROM source_detection_packs WHERE source_id = $1 AND pack_id = $2', [sourceId, packId]);
  return rowCount === 1;
}

export interface EnabledPack {
  sourceId: string;
  sourceName: string;
  packId: string;
  enabledAt: Date;
}

export async function listEnabledPacks(sql: Sql): Promise<EnabledPack[]> {
  const { rows } = await sql.query<{ source_id: string; name: string; pack_id: string; enabled_at: Date }>(
    `SELECT p.source_id, s.name, p.pack_id, p.enabled_at
       FROM source_detection_packs p JOIN sources s ON s.id = p.source_id
      ORDER BY s.name, p.pack_id`,
  );
  return rows.map((row) => ({ sourceId: row.source_id, sourceName: row.name, packId: row.pack_id, enabledAt: row.enabled_at }));
}

/** The grouping periods of every source that set any, by source id. */
export async function listGroupPeriods(sql: Sql): Promise<Map<string, Record<string, number>>> {
  const { rows } = await sql.query<{ source_id: string; group_periods: Record<string, number> }>(
    `SELECT source_id, group_periods FROM source_detection_settings WHERE group_periods <> '{}'`,
  );
  return new Map(rows.map((row) => [row.source_id, row.group_periods]));
}

export async function loadDetectionSettings(sql: Sql, sourceId: string): Promise<DetectionSettings> {
  const { rows } = await sql.query<{ config: string }>(`SELECT ${DETECTION_CONFIG_SQL} AS config`, [sourceId]);
  return parseDetectionConfig(rows[0].config).settings;
}

/** Saves the settings given; those left out keep their stored value (or default). */
export async function saveDetectionSettings(sql: Sql, sourceId: string, settings: Partial<DetectionSettings>): Promise<void> {
  await sql.query(
    `INSERT INTO source_detection_settings (source_id, allowed_invite_domains, group_periods)
     VALUES ($1, COALESCE($2, '{}'::text[]), COALESCE($3::jsonb, '{}'))
     ON CONFLICT (source_id) DO UPDATE SET
       allowed_invite_domains = COALESCE($2, source_detection_settings.allowed_invite_domains),
       group_periods = COALESCE($3::jsonb, source_detection_settings.group_periods),
       updated_at = now()`,
    [sourceId, settings.allowedInviteDomains ?? null, settings.groupPeriods ? JSON.stringify(settings.groupPeriods) : null],
  );
}

/**
 * Locks the source's checkpoint row for the rest of the transaction, as an ingested page holds it while its hook runs:
 * detection writes of one source then never interleave (see evaluateEvents).
 */
export async function holdSourceCheckpoint(sql: Sql, sourceId: string): Promise<void> {
  await sql.query('SELECT 1 FROM checkpoints WHERE source_id = $1 FOR UPDATE', [sourceId]);
}

export interface NewDetection {
  sourceId: string;
  packId: string;
  ruleId: string;
  severity: Severity;
  dedupKey: string;
  eventId: string;
  eventIds: string[];
  eventTime: Date;
  actorId: string;
  actorName: string | null;
  actorEmail: string | null;
  ip: string | null;
  title: string;
}

/** Detections to record: those that open a new alert (with it), and those that join an open one. */
export interface DetectionsToRecord {
  opened: ReadonlyArray<{ alert: DetectionAlert; detections: readonly NewDetection[] }>;
  joined: ReadonlyArray<{ alertId: number; detections: readonly NewDetection[] }>;
}

/**
 * Records detections, opens the alerts of new groups through the alert path and grows the open alerts others join,
 * in ONE statement for a page's worth: each detection row keeps the id of its alert. All travel as JSON documents.
 */
export async function recordDetections(sql: Sql, { opened, joined }: DetectionsToRecord): Promise<void> {
  const detections = [
    ...opened.flatMap(({ alert, detections: ofAlert }) => ofAlert.map((d) => ({ ...d, alertKey: alert.dedupKey, alertId: null }))),
    ...joined.flatMap(({ alertId, detections: ofAlert }) => ofAlert.map((d) => ({ ...d, alertKey: null, alertId }))),
  ];
  if (detections.length === 0) return;
  const growth = joined.map(({ alertId, detections: ofAlert }) => ({
    alertId,
    count: ofAlert.length,
    firstEventAt: ofAlert.reduce((t, d) => (d.eventTime < t ? d.eventTime : t), ofAlert[0].eventTime),
    lastEventAt: ofAlert.reduce((t, d) => (d.eventTime > t ? d.eventTime : t), ofAlert[0].eventTime),
  }));
  await sql.query(
    `WITH ${openingAlerts('$1')}, ${growingAlerts('$3')}
     INSERT INTO detections (source_id, pack_id, rule_id, severity, dedup_key, event_id, event_ids, event_time, actor_id,
                             actor_name, actor_email, ip, title, alert_id)
     SELECT d."sourceId", d."packId", d."ruleId", d.severity, d."dedupKey", d."eventId", d."eventIds", d."eventTime", d."actorId",
            d."actorName", d."actorEmail", d.ip, d.title, COALESCE(d."alertId", o.id)
       FROM jsonb_to_recordset($2::jsonb) AS d("sourceId" uuid, "packId" text, "ruleId" text, severity text, "dedupKey" text,
            "eventId" text, "eventIds" text[], "eventTime" timestamptz, "actorId" text, "actorName" text, "actorEmail" text,
            ip text, title text, "alertKey" text, "alertId" bigint)
       LEFT JOIN opened o ON o.source_id = d."sourceId" AND o.kind = 'detection' AND o.dedup_key = d."alertKey"`,
    [alertsParameter(opened.map((o) => o.alert)), JSON.stringify(detections), growthParameter(growth)],
  );
}

export interface DetectionRecord extends NewDetection {
  alertId: number | null;
  id: number;
  sourceName: string;
  detectedAt: Date;
}

export interface DetectionFilter {
  sourceId?: string;
  ruleId?: string;
  limit?: number;
}

/** Newest first: ids grow with detection time, so the primary key orders them without an index of their own. */
export async function listDetections(sql: Sql, filter: DetectionFilter = {}): Promise<DetectionRecord[]> {
  const { rows } = await sql.query(
    `SELECT d.*, s.name AS source_name FROM detections d JOIN sources s ON s.id = d.source_id
      WHERE ($1::uuid IS NULL OR d.source_id = $1) AND ($2::text IS NULL OR d.rule_id = $2)
      ORDER BY d.id DESC
      LIMIT $3`,
    [filter.sourceId ?? null, filter.ruleId ?? null, filter.limit ?? 100],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    sourceId: row.source_id,
    sourceName: row.source_name,
    packId: row.pack_id,
    ruleId: row.rule_id,
    severity: row.severity,
    dedupKey: row.dedup_key,
    eventId: row.event_id,
    eventIds: row.event_ids,
    eventTime: row.event_time,
    actorId: row.actor_id,
    actorName: row.actor_name,
    actorEmail: row.actor_email,
    ip: row.ip,
    title: row.title,
    alertId: row.alert_id === null ? null : Number(row.alert_id),
    detectedAt: row.detected_at,
  }));
}
