/** The kinds of alert, as the alerts table's CHECK constraint allows them. */
export const ALERT_KINDS = ['silence', 'credentials', 'key_expiry', 'detection', 'quarantine', 'forwarding'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
/** From the least to the most severe: destinations compare ranks (see severity_rank in the migrations). */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertToOpen {
  sourceId: string;
  kind: AlertKind;
  dedupKey?: string;
  severity: Severity;
  title: string;
  message: string;
  details?: Record<string, unknown>;
  /** Resolve by itself this long after opening, unless resolved before (detection rules that ask for it). */
  autoResolveSeconds?: number;
  /** Detection alerts: the group of detections (one rule, one subject) the alert gathers, as it opens. */
  group?: { key: string; count: number; firstEventAt: Date; lastEventAt: Date };
}

/**
 * Which destinations (d) hear of the alert named `alert`: the source's own and the global ones, when the alert's kind
 * is one they take and its severity reaches their minimum.
 */
const destinationHears = (alert: string) => `(d.source_id = ${alert}.source_id OR d.source_id IS NULL)
  AND (d.kinds IS NULL OR ${alert}.kind = ANY(d.kinds)) AND severity_rank(${alert}.severity) >= severity_rank(d.min_severity)`;

/**
 * The name a notice gives its destination (alert_deliveries.destination_id), as SQL over a destination row `d`: its
 * id, or env:webhook / env:slack for the global ones, whose rows workers rewrite at every start.
 */
export const destinationIdOf = (d: string) => `CASE WHEN ${d}.source_id IS NULL THEN 'env:' || ${d}.format ELSE ${d}.id::text END`;

/** A pool, a client or a client inside a caller's transaction: these functions never open one of their own. */
export type Queryable = Pick<import('pg').PoolClient, 'query'>;

/**
 * Opens an alert unless one is open for (source, kind, dedupKey); queues its delivery in the same transaction.
 * Safe to call again and again while the condition lasts: only the first call opens anything.
 */
export async function openAlert(q: Queryable, alert: AlertToOpen): Promise<{ alertId: number; opened: boolean }> {
  const dedupKey = alert.dedupKey ?? '';
  // The open alert may be resolved between the two statements; a second round then opens a new one.
  for (let round = 0; round < 3; round++) {
    const inserted = await q.query<{ id: string }>(
      `INSERT INTO alerts (source_id, kind, dedup_key, severity, title, message, details, auto_resolve_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
       ON CONFLICT (source_id, kind, dedup_key) WHERE status = 'open' DO NOTHING
       RETURNING id`,
      [alert.sourceId, alert.kind, dedupKey, alert.severity, alert.title, alert.message, JSON.stringify(alert.details ?? {}), alert.autoResolveSeconds ?? null],
    );
    if (inserted.rows.length > 0) {
      const alertId = Number(inserted.rows[0].id);
      await queueNotices(q, [alertId], 'opened');
      return { alertId, opened: true };
    }
    const open = await q.query<{ id: string }>(`SELECT id FROM alerts WHERE source_id = $1 AND kind = $2 AND dedup_key = $3 AND status = 'open'`, [
      alert.sourceId,
      alert.kind,
      dedupKey,
    ]);
    if (open.rows.length > 0) return { alertId: Number(open.rows[0].id), opened: false };
  }
  throw new Error(`could not open or find the ${alert.kind} alert of source ${alert.sourceId}: it kept changing concurrently`);
}

/**
 * The part of a statement that opens alerts in bulk and queues their deliveries, as openAlert does one by one: CTEs
 * `opened` (id, source_id, kind, dedup_key of each alert it opened; an already open key opens nothing) and `queued`.
 * For callers that write rows of their own in the same statement, such as detections, which record their alert.
 * `param` is the placeholder of an alertsParameter() value.
 */
export function openingAlerts(param: string): string {
  return `opened AS (
       INSERT INTO alerts (source_id, kind, dedup_key, severity, title, message, details, auto_resolve_at,
                           group_key, detection_count, first_event_at, last_event_at)
       SELECT a.source_id, a.kind, a.dedup_key, a.severity, a.title, a.message, a.details, now() + make_interval(secs => a.auto_resolve_seconds),
              a.group_key, a.detection_count, a.first_event_at, a.last_event_at
         FROM jsonb_to_recordset(${param}::jsonb)
              AS a(source_id uuid, kind text, dedup_key text, severity text, title text, message text, details jsonb, auto_resolve_seconds double precision,
                   group_key text, detection_count integer, first_event_at timestamptz, last_event_at timestamptz)
       ON CONFLICT (source_id, kind, dedup_key) WHERE status = 'open' DO NOTHING
       RETURNING id, source_id, kind, dedup_key, severity
     ), queued AS (
       INSERT INTO alert_deliveries (alert_id, notice, format, destination_id)
       SELECT o.id, 'opened', d.format, ${destinationIdOf('d')}
         FROM opened o JOIN alert_destinations d ON ${destinationHears('o')}
       ON CONFLICT DO NOTHING
     )`;
}

/**
 * The part of a statement that grows open grouped alerts by detections that join them: CTEs `grown` (id of each
 * alert grown) and `updated`, which queues one 'updated' notice per destination when the alert's count reaches a
 * power of two it had not reached (2, 4, 8...): a group that keeps growing tells of it ever more rarely. `param` is
 * the placeholder of a growthParameter() value.
 */
export function growingAlerts(param: string): string {
  return `grown AS (
       UPDATE alerts a SET detection_count = a.detection_count + g.count,
              first_event_at = LEAST(a.first_event_at, g.first), last_event_at = GREATEST(a.last_event_at, g.last)
         FROM jsonb_to_recordset(${param}::jsonb) AS g(id bigint, count integer, first timestamptz, last timestamptz)
        WHERE a.id = g.id AND a.status = 'open'
       RETURNING a.id, a.source_id, a.kind, a.severity, a.detection_count, a.detection_count - g.count AS before_count
     ), updated AS (
       INSERT INTO alert_deliveries (alert_id, notice, format, destination_id, at_count)
       SELECT o.id, 'updated', d.format, ${destinationIdOf('d')}, 1 << floor(log(2, o.detection_count))::int
         FROM grown o JOIN alert_destinations d ON ${destinationHears('o')}
        WHERE floor(log(2, o.detection_count)) > floor(log(2, o.before_count))
       ON CONFLICT DO NOTHING
     )`;
}

export interface AlertGrowth {
  alertId: number;
  /** Detections that joined, and their earliest and latest event time. */
  count: number;
  firstEventAt: Date;
  lastEventAt: Date;
}

export function growthParameter(growth: readonly AlertGrowth[]): string {
  return JSON.stringify(growth.map((g) => ({ id: g.alertId, count: g.count, first: g.firstEventAt, last: g.lastEventAt })));
}

/** The alerts as one JSON parameter: node-postgres would escape every character of text[] parameters in JavaScript. */
export function alertsParameter(alerts: readonly AlertToOpen[]): string {
  return JSON.stringify(
    alerts.map((a) => ({
      source_id: a.sourceId,
      kind: a.kind,
      dedup_key: a.dedupKey ?? '',
      severity: a.severity,
      title: a.title,
      message: a.message,
      details: a.details ?? {},
      auto_resolve_seconds: a.autoResolveSeconds ?? null,
      group_key: a.group?.key ?? null,
      detection_count: a.group?.count ?? null,
      first_event_at: a.group?.firstEventAt ?? null,
      last_event_at: a.group?.lastEventAt ?? null,
    })),
  );
}

/** Resolves the open alert for (source, kind, dedupKey), if any, and queues the resolution notice with it. */
export async function resolveAlert(
  q: Queryable,
  r: { sourceId: string; kind: AlertKind; dedupKey?: string; message: string },
): Promise<{ alertId: number } | undefined> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM alerts WHERE source_id = $1 AND kind = $2 AND dedup_key = $3 AND status = 'open'`,
    [r.sourceId, r.kind, r.dedupKey ?? ''],
  );
  if (rows.length === 0) return undefined;
  const [resolved] = await resolveAlertsById(q, [Number(rows[0].id)], { message: r.message, by: null });
  return resolved === undefined ? undefined : { alertId: resolved };
}

/**
 * Resolves those of the alerts that are still open, queues one resolution notice per destination for each, and
 * returns the ids it resolved: an alert resolved twice, by two hands at once, sends one notice.
 */
export async function resolveAlertsById(q: Queryable, alertIds: readonly number[], r: { message: string; by: string | null }): Promise<number[]> {
  if (alertIds.length === 0) return [];
  const { rows } = await q.query<{ id: string }>(
    `UPDATE alerts SET status = 'resolved', resolved_at = now(), resolution = $2, resolved_by = $3
     WHERE id = ANY($1::bigint[]) AND status = 'open'
     RETURNING id`,
    [alertIds, r.message, r.by],
  );
  const resolved = rows.map((row) => Number(row.id));
  await queueNotices(q, resolved, 'resolved');
  return resolved;
}

/**
 * One outbox row per destination configured now; a resolution also goes wherever the opening went, so whoever
 * heard of the alert hears that it ended even if the destinations changed in between.
 */
async function queueNotices(q: Queryable, alertIds: readonly number[], notice: 'opened' | 'resolved'): Promise<void> {
  if (alertIds.length === 0) return;
  await q.query(
    `INSERT INTO alert_deliveries (alert_id, notice, format, destination_id)
     SELECT a.id, $2::text, d.format, ${destinationIdOf('d')}
       FROM alerts a JOIN alert_destinations d ON ${destinationHears('a')}
      WHERE a.id = ANY($1::bigint[])
     UNION
     SELECT alert_id, $2::text, format, destination_id FROM alert_deliveries
      WHERE alert_id = ANY($1::bigint[]) AND notice = 'opened' AND $2::text = 'resolved'
     ON CONFLICT DO NOTHING`,
    [alertIds, notice],
  );
}
