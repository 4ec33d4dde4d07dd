import type { OutputFormat } from './sink';
import type { StoredEvent } from './stored-event';

/** A format this build cannot write: the output is refused where it is configured, or paused if it was stored so. */
export class FormatUnavailable extends Error {
  override name = 'FormatUnavailable';
  constructor(readonly format: OutputFormat) {
    super(`the ${format} format is not available in this build`);
  }
}

/** The formats this build writes. */
export const AVAILABLE_FORMATS: readonly OutputFormat[] = ['raw'];

/** One event as one record of the output's format. Every record carries the event id, for receivers to drop repeats. */
export function formatRecord(format: OutputFormat, event: StoredEvent): Record<string, unknown> {
  if (format !== 'raw') throw new FormatUnavailable(format);
  return rawRecord(event);
}

/** The Atlassian event as received (made storable), with the product's p_ fields beside it, as the events table holds them. */
function rawRecord(event: StoredEvent): Record<string, unknown> {
  return {
    ...event.raw,
    p_log_type: 'Atlassian.Audit',
    p_event_time: event.eventTime,
    p_parse_time: event.parsedAt,
    p_source_id: event.sourceId,
    p_source_label: event.sourceName,
    p_any_ip_addresses: event.anyIpAddresses,
    p_any_emails: event.anyEmails,
    p_any_usernames: event.anyUsernames,
  };
}
