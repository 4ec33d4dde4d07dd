import type { DetectionEvent } from './event-view';

/**
 * A field that threshold rules count in SQL over the stored events: the same value read from a fresh event in
 * JavaScript and from an events row (aliased `e`) in SQL.
 */
export interface CountedField {
  /** An SQL expression over the events row `e`; a fixed string from this module, never user input. */
  sql: string;
  read(event: DetectionEvent): string | null;
}

/** A field whose values new-value rules look for among the source's stored events. */
export interface NoveltyField {
  /** An SQL function (source uuid, value text, since timestamptz, until timestamptz) → boolean, from migrations. */
  seenFunction: string;
  read(event: DetectionEvent): string | null;
}

export const SOURCE_IP: CountedField = { sql: 'e.ip', read: (event) => event.ip };

export const ACTOR: CountedField = { sql: 'e.actor_id', read: (event) => event.actor.id };

export const COUNTRY: NoveltyField = { seenFunction: 'detection_country_seen', read: (event) => event.country };

export const ACTOR_ID: CountedField = { sql: 'e.actor_id', read: (event) => event.actor.id };
