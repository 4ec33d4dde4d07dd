import { sourceWorkflowId } from '../contract/ids';
import type { AlertKind, Severity } from './alert-store';
import type { DestinationFormat } from './destinations';

/** Where the Temporal Web UI shows a source's workflow: Slack notices link there. */
export interface WebUiLinks {
  webUiUrl: string;
  namespace: string;
}

/** 'updated': a grouped detection alert reached a doubling of its detections (2, 4, 8...). */
export type Notice = 'opened' | 'resolved' | 'updated';

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
  /** Grouped detection alerts: how many detections, their first and last event time. */
  group: { detections: number; firstEventAt: Date; lastEventAt: Date } | null;
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
    group:
      row.group_key === null || row.group_key === undefined
        ? null
        : { detections: row.detection_count as number, firstEventAt: row.first_event_at as Date, lastEventAt: row.last_event_at as Date },
  };
}

/** The body POSTed for one notice: a generic JSON document, or a Slack message (Block Kit, with `text` as its fallback). */
export function noticeBody(format: DestinationFormat, notice: Notice, alert: AlertRecord, deliveryId: number, links?: WebUiLinks, atCount = 0): unknown {
  if (format === 'slack') return slackMessage(notice, alert, links, atCount);
  return {
    notice,
    deliveryId,
    ...(notice === 'updated' ? { detectionsReached: atCount } : {}),
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
      ...(alert.group
        ? {
            group: {
              detections: alert.group.detections,
              firstEventAt: alert.group.firstEventAt.toISOString(),
              lastEventAt: alert.group.lastEventAt.toISOString(),
            },
          }
        : {}),
    },
  };
}

function slackMessage(notice: Notice, alert: AlertRecord, links: WebUiLinks | undefined, atCount: number) {
  const text = slackText(notice, alert, atCount);
  const facts = [`source *${escapeSlack(alert.sourceName)}*`, alert.kind.replace('_', ' '), alert.severity, `alert ${alert.id}`];
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: facts.join(' · ') }] },
  ];
  if (links) {
    const url = `${links.webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(sourceWorkflowId(alert.sourceName))}`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${url}|Open the source's workflow in the Temporal Web UI>` } });
  }
  return { text, blocks };
}

function slackText(notice: Notice, alert: AlertRecord, atCount: number): string {
  if (notice === 'updated') return `:arrow_up: *${atCount} detections* [${alert.sourceName}] ${escapeSlack(alert.title)}`;
  if (notice === 'resolved') {
    return `:white_check_mark: *Resolved* [${alert.sourceName}] ${escapeSlack(alert.title)}\n${escapeSlack(alert.resolution ?? '')}`.trimEnd();
  }
  return `:rotating_light: *${alert.severity.toUpperCase()}* [${alert.sourceName}] ${escapeSlack(alert.title)}\n${escapeSlack(alert.message)}`;
}

/** Slack reads <...> as links and mentions; text from the API (names, actions) must not become either. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
