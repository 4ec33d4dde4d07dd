export type AlertKind = 'silence' | 'credentials' | 'key_expiry' | 'detection';
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface AlertToOpen {
  sourceId: string;
  kind: AlertKind;
  dedupKey?: string;
  severity: Severity;
  title: string;
  message: string;
  details?: Record<string, unknown>;
}

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
      `INSERT INTO alerts (source_id, kind, dedup_key, severity, title, message, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (source_id, kind, dedup_key) WHERE status = 'open' DO NOTHING
       RETURNING id`,
      [alert.sourceId, alert.kind, dedupKey, alert.severity, alert.title, alert.message, JSON.stringify(alert.details ?? {})],
    );
    if (inserted.rows.length > 0) {
      const alertId = Number(inserted.rows[0].id);
      await queueNotice(q, alertId, alert.sourceId, 'opened');
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
       INSERT INTO alerts (source_id, kind, dedup_key, severity, title, message, details)
       SELECT a.source_id, a.kind, a.dedup_key, a.severity, a.title, a.message, a.details
         FROM jsonb_to_recordset(${param}::jsonb)
              AS a(source_id uuid, kind text, dedup_key text, severity text, title text, message text, details jsonb)
       ON CONFLICT (source_id, kind, dedup_key) WHERE status = 'open' DO NOTHING
       RETURNING id, source_id, kind, dedup_key
     ), queued AS (
       INSERT INTO alert_deliveries (alert_id, notice, format, url)
       SELECT o.id, 'opened', d.format, d.url FROM opened o JOIN alert_destinations d ON d.source_id = o.source_id OR d.source_id IS NULL
       ON CONFLICT DO NOTHING
     )`;
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
    })),
  );
}

/** Resolves the open alert for (source, kind, dedupKey), if any, and queues the resolution notice with it. */
export async function resolveAlert(
  q: Queryable,
  r: { sourceId: string; kind: AlertKind; dedupKey?: string; message: string },
): Promise<{ alertId: number } | undefined> {
  const { rows } = await q.query<{ id: string }>(
    `UPDATE alerts SET status = 'resolved', resolved_at = now(), resolution = $4
     WHERE source_id = $1 AND kind = $2 AND dedup_key = $3 AND status = 'open'
     RETURNING id`,
    [r.sourceId, r.kind, r.dedupKey ?? '', r.message],
  );
  if (rows.length === 0) return undefined;
  const alertId = Number(rows[0].id);
  await queueNotice(q, alertId, r.sourceId, 'resolved');
  return { alertId };
}

/**
 * One outbox row per destination configured now; a resolution also goes wherever the opening went, so whoever
 * heard of the alert hears that it ended even if the destinations changed in between.
 */
async function queueNotice(q: Queryable, alertId: number, sourceId: string, notice: 'opened' | 'resolved'): Promise<void> {
  await q.query(
    `INSERT INTO alert_deliveries (alert_id, notice, format, url)
     SELECT $1::bigint, $3::text, format, url FROM alert_destinations WHERE source_id = $2::uuid OR source_id IS NULL
     UNION
     SELECT $1::bigint, $3::text, format, url FROM alert_deliveries WHERE alert_id = $1::bigint AND notice = 'opened' AND $3::text = 'resolved'
     ON CONFLICT DO NOTHING`,
    [alertId, sourceId, notice],
  );
}
