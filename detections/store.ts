import type { QueryResult, QueryResultRow } from 'pg';
import { DEFAULT_DETECTION_SETTINGS, DetectionSettings, Severity } from './rule';

/** A pool, a Database or a transaction's client: whatever can run a parameterized query. */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>>;
}

export interface DetectionConfig {
  packIds: string[];
  settings: DetectionSettings;
}

/** What the ingest path reads for every page: one query, an index lookup on the packs' primary key. */
export async function loadDetectionConfig(sql: Sql, sourceId: string): Promise<DetectionConfig> {
  const { rows } = await sql.query<{ pack_id: string; allowed_invite_domains: string[] | null }>(
    `SELECT p.pack_id, s.allowed_invite_domains
       FROM source_detection_packs p LEFT JOIN source_detection_settings s ON s.source_id = p.source_id
      WHERE p.source_id = $1`,
    [sourceId],
  );
  return {
    packIds: rows.map((row) => row.pack_id),
    settings: { ...DEFAULT_DETECTION_SETTINGS, ...(rows[0]?.allowed_invite_domains ? { allowedInviteDomains: rows[0].allowed_invite_domains } : {}) },
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

export async function loadDetectionSettings(sql: Sql, sourceId: string): Promise<DetectionSettings> {
  const { rows } = await sql.query<{ allowed_invite_domains: string[] }>(
    'SELECT allowed_invite_domains FROM source_detection_settings WHERE source_id = $1',
    [sourceId],
  );
  return rows[0] ? { allowedInviteDomains: rows[0].allowed_invite_domains } : DEFAULT_DETECTION_SETTINGS;
}

export async function saveDetectionSettings(sql: Sql, sourceId: string, settings: DetectionSettings): Promise<void> {
  await sql.query(
    `INSERT INTO source_detection_settings (source_id, allowed_invite_domains) VALUES ($1, $2)
     ON CONFLICT (source_id) DO UPDATE SET allowed_invite_domains = EXCLUDED.allowed_invite_domains, updated_at = now()`,
    [sourceId, settings.allowedInviteDomains],
  );
}

// Any constant works; it only keeps these locks apart from other advisory locks in the database.
const DETECTION_LOCK_CLASS = 4_207_311;

/**
 * Serialises detection writes of one source between the ingest path and a rescan, so the dedup check and the insert
 * that follows it see every committed detection. Released at the end of the transaction.
 */
export async function lockSourceDetections(sql: Sql, sourceId: string): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DETECTION_LOCK_CLASS, sourceId]);
}

export interface DedupProbe {
  ruleId: string;
  dedupKey: string;
  eventId: string;
  eventTime: Date;
  periodSeconds: number;
}

/**
 * Indexes of the probes that a stored detection makes duplicates: the same rule raised one for the same event, or for
 * the same key within the rule's period of event time (either side, so a late event is caught too). One statement.
 */
export async function storedDuplicates(sql: Sql, sourceId: string, probes: DedupProbe[]): Promise<Set<number>> {
  const { rows } = await sql.query<{ i: number }>(
    `SELECT (f.i - 1)::int AS i
       FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[]) WITH ORDINALITY AS f(rule_id, dedup_key, event_id, at, period, i)
      WHERE EXISTS (SELECT 1 FROM detections d
                     WHERE d.source_id = $1 AND d.rule_id = f.rule_id AND d.dedup_key = f.dedup_key
                       AND d.event_time > f.at - make_interval(secs => f.period) AND d.event_time < f.at + make_interval(secs => f.period))
         OR EXISTS (SELECT 1 FROM detections d WHERE d.source_id = $1 AND d.rule_id = f.rule_id AND d.event_id = f.event_id)`,
    [
      sourceId,
      probes.map((p) => p.ruleId),
      probes.map((p) => p.dedupKey),
      probes.map((p) => p.eventId),
      probes.map((p) => p.eventTime),
      probes.map((p) => p.periodSeconds),
    ],
  );
  return new Set(rows.map((row) => row.i));
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
  alertId: number | null;
}

/** One statement for a page's detections; event id lists travel as JSON, since PostgreSQL has no ragged arrays. */
export async function insertDetections(sql: Sql, detections: NewDetection[]): Promise<void> {
  if (detections.length === 0) return;
  const column = <K extends keyof NewDetection>(key: K) => detections.map((d) => d[key]);
  await sql.query(
    `INSERT INTO detections (source_id, pack_id, rule_id, severity, dedup_key, event_id, event_ids, event_time, actor_id,
                             actor_name, actor_email, ip, title, alert_id)
     SELECT d.source_id, d.pack_id, d.rule_id, d.severity, d.dedup_key, d.event_id, ARRAY(SELECT jsonb_array_elements_text(d.event_ids)),
            d.event_time, d.actor_id, d.actor_name, d.actor_email, d.ip, d.title, d.alert_id
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[], $9::text[],
                   $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[])
            AS d(source_id, pack_id, rule_id, severity, dedup_key, event_id, event_ids, event_time, actor_id, actor_name, actor_email, ip, title, alert_id)`,
    [
      column('sourceId'),
      column('packId'),
      column('ruleId'),
      column('severity'),
      column('dedupKey'),
      column('eventId'),
      detections.map((d) => JSON.stringify(d.eventIds)),
      column('eventTime'),
      column('actorId'),
      column('actorName'),
      column('actorEmail'),
      column('ip'),
      column('title'),
      column('alertId'),
    ],
  );
}

export interface DetectionRecord extends NewDetection {
  id: number;
  sourceName: string;
  detectedAt: Date;
}

export interface DetectionFilter {
  sourceId?: string;
  ruleId?: string;
  limit?: number;
}

/** Newest first. */
export async function listDetections(sql: Sql, filter: DetectionFilter = {}): Promise<DetectionRecord[]> {
  const { rows } = await sql.query(
    `SELECT d.*, s.name AS source_name FROM detections d JOIN sources s ON s.id = d.source_id
      WHERE ($1::uuid IS NULL OR d.source_id = $1) AND ($2::text IS NULL OR d.rule_id = $2)
      ORDER BY d.detected_at DESC, d.id DESC
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
