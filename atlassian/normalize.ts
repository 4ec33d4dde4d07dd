import { isIP } from 'node:net';
import type { AuditEvent } from './schema';

/** One events row, before the database adds p_parse_time, p_row_id and p_source_id. */
export interface EventRow {
  eventId: string;
  eventTime: string;
  processedAt: string | null;
  action: string;
  actorId: string;
  actorName: string | null;
  actorEmail: string | null;
  ip: string | null;
  location: string | null;
  anyIpAddresses: string[];
  anyEmails: string[];
  anyUsernames: string[];
  raw: string;
  /** The event exactly as received, as JSON text, when making it storable changed it (see storable.ts). */
  original?: string;
  /** The event the row was made from, for readers in the same process (detections) that would otherwise parse raw. */
  source?: AuditEvent;
}

// Deliberately plain: the point is to keep "Atlassian app" and similar system-actor labels out of p_any_emails.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const present = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';

function unique(values: (string | null | undefined)[]): string[] {
  return [...new Set(values.filter(present).map((v) => v.trim()))];
}

/** Maps an event to its row without dropping it for any missing optional field. */
export function toEventRow(event: AuditEvent): EventRow {
  const { actor, location, context, container } = event.attributes;
  const related = [...(context ?? []), ...(container ?? [])];
  const relatedText = (field: string, type?: string) =>
    related
      .filter((entry) => !type || entry.type === type)
      .map((entry) => entry.attributes?.[field])
      .filter((v): v is string => typeof v === 'string');
  const ip = present(location?.ip) ? location.ip.trim() : null;
  return {
    eventId: event.id,
    eventTime: event.attributes.time,
    processedAt: event.attributes.processedAt ?? null,
    action: event.attributes.action,
    actorId: actor.id,
    actorName: present(actor.name) ? actor.name : null,
    actorEmail: present(actor.email) ? actor.email : null,
    ip,
    location: location ? JSON.stringify(location) : null,
    anyIpAddresses: unique([ip, ...relatedText('ip')]).filter((v) => isIP(v) !== 0),
    anyEmails: unique([actor.email, actor.onBehalfOf?.email, ...relatedText('email')]).filter((v) => EMAIL.test(v)),
    // Only user entries: groups and sites have names too, and those are not user names.
    anyUsernames: unique([actor.name, actor.onBehalfOf?.name, ...relatedText('name', 'users')]),
    raw: JSON.stringify(event),
    source: event,
  };
}
