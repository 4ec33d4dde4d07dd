import type { StoredEvent } from '../stored-event';

/** The log type every raw record names, as the events table does (p_log_type). */
export const LOG_TYPE = 'Atlassian.Audit';

/**
 * The Atlassian event as received, plus the product's `p_` fields, as JSON text. Atlassian's own members come first
 * and win: a `p_` field is added only where the event has no member of that name.
 *
 * The stored text goes out as it is, the `p_` fields spliced in before its closing brace, so that forwarding does not
 * parse and serialize every event again. PostgreSQL's jsonb output holds no duplicate members and never escapes a
 * letter, so a text in which `"p_` appears nowhere has no `p_` member of its own; a text in which it appears (in a
 * member's name or in a value) is parsed, so that its members are seen.
 */
export function rawRecord(event: StoredEvent): string {
  const text = event.rawText;
  if (spliceable(text)) return `${text.slice(0, -1)},${JSON.stringify(productFields(event)).slice(1)}`;
  const record: Record<string, unknown> = { ...event.raw };
  for (const [name, value] of Object.entries(productFields(event))) {
    if (!Object.hasOwn(record, name)) record[name] = value;
  }
  return JSON.stringify(record);
}

/** Whether the stored text takes the product's fields spliced in before its closing brace (see rawRecord). */
export function spliceable(text: string): boolean {
  return text.startsWith('{"') && text.endsWith('}') && !namesProductField(text);
}

const QUOTE = 0x22;
const LETTER_P = 0x70;

/**
 * Whether `"p_` appears in the text, as includes('"p_') says, several times faster on JSON: a search for a pattern
 * starts from its first character, and `"` is everywhere in JSON where `_` is rare.
 */
function namesProductField(text: string): boolean {
  for (let i = text.indexOf('_', 2); i >= 0; i = text.indexOf('_', i + 1)) {
    if (text.charCodeAt(i - 1) === LETTER_P && text.charCodeAt(i - 2) === QUOTE) return true;
  }
  return false;
}

/**
 * rawRecord of a spliceable text, from the product fields' JSON text that PostgreSQL wrote for the forwarder's read
 * (outputs/read-raw-records.ts): `laterFields` holds the members after p_parse_time, in productFields' order, from
 * their leading comma. The times are ISO strings, which JSON writes as they are.
 */
export function splicedRawRecord(text: string, eventTime: string, parsedAt: string, laterFields: string): string {
  return `${text.slice(0, -1)},"p_log_type":"${LOG_TYPE}","p_event_time":"${eventTime}","p_parse_time":"${parsedAt}"${laterFields}}`;
}

/** The product's fields, in the order every raw record writes them (splicedRawRecord's SQL follows it). */
function productFields(event: StoredEvent): Record<string, unknown> {
  return {
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
}
