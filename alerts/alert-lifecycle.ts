import type { Database } from '../store/database';
import { resolveAlertsById, type AlertKind, type Queryable } from './alert-store';

/** Which open alerts an operator means: one by id, or all of a source, a kind, a detection rule, or a mix. */
export interface AlertSelection {
  alertId?: number;
  sourceId?: string;
  kind?: AlertKind;
  ruleId?: string;
}

export interface AlertRef {
  id: number;
  sourceId: string;
  sourceName: string;
  kind: AlertKind;
  title: string;
}

export interface ManualResolution {
  resolved: AlertRef[];
  /** Alerts whose cause persists: resolving them by hand would only hide a problem that is still there. */
  refused: Array<AlertRef & { why: string }>;
}

export class AlertNotOpenError extends Error {
  override name = 'AlertNotOpenError';
}

interface OpenAlertRow {
  id: string;
  source_id: string;
  source_name: string;
  kind: AlertKind;
  dedup_key: string;
  title: string;
  opened_at: Date;
  source_status: string;
  api_key_expires_at: Date | null;
  last_event_persisted_at: Date | null;
}

/**
 * Why an alert that resolves itself must not be resolved by hand yet, or undefined when its cause has ended (its
 * owner will find it resolved). Detection alerts have no lasting cause: an operator decides.
 */
function causePersists(alert: OpenAlertRow): string | undefined {
  switch (alert.kind) {
    case 'silence':
      return alert.last_event_persisted_at === null || alert.last_event_persisted_at <= alert.opened_at
        ? 'no event was stored since it opened; it resolves itself when events flow again'
        : undefined;
    case 'credentials':
      return alert.source_status === 'failed' ? 'the source is still stopped by the API; it resolves itself once a rotated key or a resume lets it poll' : undefined;
    case 'key_expiry':
      return alert.api_key_expires_at !== null && alert.dedup_key.startsWith(`${alert.api_key_expires_at.toISOString()}:`)
        ? 'the key it warns about is still the stored one; it resolves itself when `rotate-key` stores a new key'
        : undefined;
    default:
      return undefined;
  }
}

async function lockOpenAlerts(q: Queryable, selection: AlertSelection): Promise<OpenAlertRow[]> {
  const { rows } = await q.query<OpenAlertRow>(
    `SELECT a.id, a.source_id, s.name AS source_name, a.kind, a.dedup_key, a.title, a.opened_at,
            s.status AS source_status, s.api_key_expires_at, c.last_event_persisted_at
       FROM alerts a JOIN sources s ON s.id = a.source_id LEFT JOIN checkpoints c ON c.source_id = a.source_id
      WHERE a.status = 'open'
        AND ($1::bigint IS NULL OR a.id = $1) AND ($2::uuid IS NULL OR a.source_id = $2)
        AND ($3::text IS NULL OR a.kind = $3) AND ($4::text IS NULL OR a.details ->> 'ruleId' = $4)
      ORDER BY a.id
      FOR UPDATE OF a`,
    [selection.alertId ?? null, selection.sourceId ?? null, selection.kind ?? null, selection.ruleId ?? null],
  );
  return rows;
}

const toRef = (row: OpenAlertRow): AlertRef => ({ id: Number(row.id), sourceId: row.source_id, sourceName: row.source_name, kind: row.kind, title: row.title });

/** Resolves the selected open alerts by hand, each with one resolved notice; refuses those whose cause persists. */
export async function resolveAlertsByHand(db: Database, selection: AlertSelection, r: { reason: string; by: string }): Promise<ManualResolution> {
  return db.withTransaction(async (tx) => {
    const open = await lockOpenAlerts(tx, selection);
    const refused = open.flatMap((row) => {
      const why = causePersists(row);
      return why === undefined ? [] : [{ ...toRef(row), why }];
    });
    const allowed = open.filter((row) => causePersists(row) === undefined);
    const resolvedIds = new Set(await resolveAlertsById(tx, allowed.map((row) => Number(row.id)), { message: r.reason, by: r.by }));
    return { resolved: allowed.filter((row) => resolvedIds.has(Number(row.id))).map(toRef), refused };
  });
}

/** Marks an open alert as seen: it stays open and keeps alerting nobody twice. Acknowledging again updates who and why. */
export async function acknowledgeAlert(db: Database, alertId: number, a: { by: string; note: string | null }): Promise<AlertRef> {
  const { rows } = await db.query<OpenAlertRow>(
    `UPDATE alerts a SET acknowledged_at = COALESCE(a.acknowledged_at, now()), acknowledged_by = $2, acknowledgement = $3
       FROM sources s WHERE s.id = a.source_id AND a.id = $1 AND a.status = 'open'
     RETURNING a.id, a.source_id, s.name AS source_name, a.kind, a.title`,
    [alertId, a.by, a.note],
  );
  if (rows.length === 0) throw new AlertNotOpenError(await whyNotOpen(db, alertId));
  return toRef(rows[0]);
}

async function whyNotOpen(db: Database, alertId: number): Promise<string> {
  const { rows } = await db.query<{ resolved_at: Date | null }>('SELECT resolved_at FROM alerts WHERE id = $1', [alertId]);
  return rows.length === 0 ? `no alert has id ${alertId}` : `alert ${alertId} was already resolved at ${rows[0].resolved_at!.toISOString()}`;
}

/** Resolves the open alerts whose rule asked to resolve them after a period (the dispatcher calls it each round). */
export async function resolveDueAlerts(db: Database): Promise<{ resolved: number }> {
  return db.withTransaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM alerts WHERE status = 'open' AND auto_resolve_at <= now() ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED`,
    );
    const resolved = await resolveAlertsById(
      tx,
      rows.map((row) => Number(row.id)),
      { message: 'Resolved by itself: its rule resolves a detection once its period has passed without anyone resolving it.', by: null },
    );
    return { resolved: resolved.length };
  });
}
