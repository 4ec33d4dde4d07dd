/**
 * An event as the store holds it, read back for an output: what every format is made from. `rawText` is the Atlassian
 * event as received (made storable), as JSON text, and `raw` the same parsed; `seq` is the source's insertion order,
 * the order outputs forward in.
 */
export interface StoredEvent {
  sourceId: string;
  /** The source's name (events.p_source_label). */
  sourceName: string;
  organizationId: string;
  seq: number;
  eventId: string;
  /** ISO 8601, UTC. */
  eventTime: string;
  processedAt: string | null;
  action: string;
  actorId: string;
  actorName: string | null;
  actorEmail: string | null;
  ip: string | null;
  /** events.location: the event's attributes.location object, or null. */
  location: Record<string, unknown> | null;
  /** When the product stored it (events.p_parse_time), ISO 8601. */
  parsedAt: string;
  anyIpAddresses: string[];
  anyEmails: string[];
  anyUsernames: string[];
  /** A JSON object's text; read from the store, PostgreSQL's output of the jsonb column. */
  rawText: string;
  /** rawText parsed. Read from the store, it is parsed on first use: the raw format splices the text instead. */
  readonly raw: Record<string, unknown>;
}

/** A stored event whose raw body is parsed on first use, once: the raw format sends the text and never needs it parsed. */
export function parsedOnUse(fields: Omit<StoredEvent, 'raw'>): StoredEvent {
  let raw: Record<string, unknown> | undefined;
  return {
    ...fields,
    get raw() {
      return (raw ??= JSON.parse(fields.rawText) as Record<string, unknown>);
    },
  };
}
