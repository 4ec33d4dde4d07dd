import type { AlertKind, Severity } from './alert-store';
import type { DestinationFormat } from './destinations';

export type Notice = 'opened' | 'resolved';

/** An alert as the outbox delivers it: what was recorded, never more (no key, no event body). */
export interface AlertRecord {
  id: number;
  sourceId: string;
  sourceName: string;
  kind: AlertKind;
  dedupKey: string;
  severity: Severity;
  status: 'open' | 'resolved';
  title: string;
  message: string;
  details: Record<string, unknown>;
  openedAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

export function toAlertRecord(row: Record<string, unknown>): AlertRecord {
  return {
    id: Number(row.id),
    sourceId: row.source_id as string,
    sourceName: row.source_name as string,
    kind: row.kind as AlertKind,
    dedupKey: row.dedup_key as string,
    severity: row.severity as Severity,
    status: row.status as 'open' | 'resolved',
    title: row.title as string,
    message: row.message as string,
    details: row.details as Record<string, unknown>,
    openedAt: row.opened_at as Date,
    resolvedAt: row.resolved_at as Date | null,
    resolution: row.resolution as string | null,
  };
}

/** The body POSTed for one notice: a generic JSON document, or the `{ text }` that Slack-compatible webhooks take. */
export function noticeBody(format: DestinationFormat, notice: Notice, alert: AlertRecord, deliveryId: number): unknown {
  if (format === 'slack') return { text: slackText(notice, alert) };
  return {
    notice,
    deliveryId,
    alert: {
      id: alert.id,
      source: { id: alert.sourceId, name: alert.sourceName },
      kind: alert.kind,
      dedupKey: alert.dedupKey || null,
      severity: alert.severity,
      status: alert.status,
      title: alert.title,
      message: alert.message,
      details: alert.details,
      openedAt: alert.openedAt.toISOString(),
      resolvedAt: alert.resolvedAt?.toISOString() ?? null,
      resolution: alert.resolution,
    },
  };
}

function slackText(notice: Notice, alert: AlertRecord): string {
  if (notice === 'resolved') {
    return `:white_check_mark: *Resolved* [${alert.sourceName}] ${escapeSlack(alert.title)}\n${escapeSlack(alert.resolution ?? '')}`.trimEnd();
  }
  return `:rotating_light: *${alert.severity.toUpperCase()}* [${alert.sourceName}] ${escapeSlack(alert.title)}\n${escapeSlack(alert.message)}`;
}

/** Slack reads <...> as links and mentions; text from the API (names, actions) must not become either. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
