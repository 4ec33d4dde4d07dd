import type { DetectionEvent } from './event-view';

/**
 * A field that threshold and new-value rules count or compare in SQL over the stored events: the same value read
 * from a fresh event in JavaScript and from an events row (aliased `e`) in SQL.
 */
export interface EventField {
  name: string;
  /** An SQL expression over the events row `e`; a fixed string from this module, never user input. */
  sql: string;
  read(event: DetectionEvent): string | null;
}

export const SOURCE_IP: EventField = { name: 'ip', sql: 'e.ip', read: (event) => event.ip };

export const ACTOR_ID: EventField = { name: 'actor', sql: 'e.actor_id', read: (event) => event.actor.id };

export const COUNTRY: EventField = { name: 'country', sql: 'detection_country(e.location)', read: (event) => event.country };
