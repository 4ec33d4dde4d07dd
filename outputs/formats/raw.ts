import type { StoredEvent } from '../stored-event';

/** The log type every raw record names, as the events table does (p_log_type). */
export const LOG_TYPE = 'Atlassian.Audit';

/**
 * The Atlassian event as received, plus the product's `p_` fields. Atlassian's own members come first and win: a `p_`
 * field is added only where the event has no member of that name. Only the top level is copied.
 */
export function rawRecord(event: StoredEvent): Record<string, unknown> {
  const record: Record<string, unknown> = { ...event.raw };
  const productFields: Record<string, unknown> = {
    p_log_type: LOG_TYPE,
    p_event_time: event.eventTime,
    p_parse_time: event.parsedAt,
    p_source_id: event.sourceId,
    p_source_label: event.sourceName,
    p_organization_id: event.organizationId,
    p_seq: event.seq,
    p_any_ip_addresses: event.anyIpAddresses,
    p_any_emails: event.anyEmails,
    p_any_usernames: event.anyUsernames,
  };
  for (const [name, value] of Object.entries(productFields)) {
    if (!Object.hasOwn(record, name)) record[name] = value;
  }
  return record;
}
