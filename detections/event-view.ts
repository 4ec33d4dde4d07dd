import { parseRfc3339 } from '../atlassian/schema';
import type { EventRow } from '../atlassian/normalize';

/** The columns of an events row that rules need; both fresh pages and stored rows (rescan) provide them. */
export type EvaluatedRow = Pick<EventRow, 'eventId' | 'eventTime' | 'action' | 'actorId' | 'actorName' | 'actorEmail' | 'ip' | 'location' | 'raw' | 'source'>;

/** A context or container entry, with the free-form attributes Atlassian sends. */
export interface RelatedEntry {
  id: string | null;
  type: string | null;
  attributes: Record<string, unknown>;
}

/** What a rule sees of one event: the normalized columns plus the parts of the raw body rules look into. */
export interface DetectionEvent {
  readonly eventId: string;
  readonly timeMs: number;
  readonly action: string;
  readonly actor: { id: string; name: string | null; email: string | null };
  readonly ip: string | null;
  readonly country: string | null;
  readonly context: readonly RelatedEntry[];
  readonly container: readonly RelatedEntry[];
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

function entries(value: unknown): RelatedEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((entry) => ({
    id: text(entry.id),
    type: text(entry.type),
    attributes: isObject(entry.attributes) ? entry.attributes : {},
  }));
}

/**
 * The country of a location: `countryName`, else the last part of `geo` ("Sydney, New South Wales, Australia", or a
 * geo that is only the country). Must agree with the SQL function detection_country() of migration 003.
 */
export function countryOf(location: unknown): string | null {
  if (!isObject(location)) return null;
  const named = text(location.countryName);
  if (named) return named;
  const geo = typeof location.geo === 'string' ? location.geo : null;
  return geo === null ? null : text(geo.slice(geo.lastIndexOf(',') + 1));
}

/**
 * A rule's view of a row. A fresh row carries the event it was made from; a stored one (a rescan) has only its JSON,
 * parsed only when a rule reads context or container, and the location only when it reads the country: most
 * candidate events (logins, failed logins) need neither or only the small location.
 */
class RowView implements DetectionEvent {
  readonly eventId: string;
  readonly timeMs: number;
  readonly action: string;
  readonly actor: DetectionEvent['actor'];
  readonly ip: string | null;
  readonly #row: EvaluatedRow;
  #country: string | null | undefined;
  #related: { context: RelatedEntry[]; container: RelatedEntry[] } | undefined;

  constructor(row: EvaluatedRow) {
    this.#row = row;
    this.eventId = row.eventId;
    // The time was validated as RFC 3339 on the way in; Date.parse reads the usual forms directly and much faster.
    const parsed = Date.parse(row.eventTime);
    this.timeMs = Number.isNaN(parsed) ? parseRfc3339(row.eventTime) : parsed;
    this.action = row.action;
    this.actor = { id: row.actorId, name: row.actorName, email: row.actorEmail };
    this.ip = row.ip;
  }

  get country(): string | null {
    if (this.#country === undefined) {
      const { location, source } = this.#row;
      this.#country = source ? countryOf(source.attributes.location) : location === null ? null : countryOf(JSON.parse(location));
    }
    return this.#country;
  }

  get context(): readonly RelatedEntry[] {
    return this.#relatedEntries().context;
  }

  get container(): readonly RelatedEntry[] {
    return this.#relatedEntries().container;
  }

  #relatedEntries() {
    if (!this.#related) {
      const body: unknown = this.#row.source ?? JSON.parse(this.#row.raw);
      const attributes = isObject(body) && isObject(body.attributes) ? body.attributes : {};
      this.#related = { context: entries(attributes.context), container: entries(attributes.container) };
    }
    return this.#related;
  }
}

export function toDetectionEvent(row: EvaluatedRow): DetectionEvent {
  return new RowView(row);
}

/** Entries of the given type (Atlassian's type names vary in case). */
export function entriesOfType(entries: readonly RelatedEntry[], type: string): RelatedEntry[] {
  const wanted = type.toLowerCase();
  return entries.filter((entry) => entry.type?.toLowerCase() === wanted);
}

/** A string attribute, or null when absent or blank. */
export function attribute(entry: RelatedEntry, name: string): string | null {
  return text(entry.attributes[name]);
}

/** The best label for an actor or user: name, else e-mail, else id. */
export function describeActor(actor: DetectionEvent['actor']): string {
  return actor.name ?? actor.email ?? actor.id;
}

/** The first user the event is about (context entry of type users), as a label; null when the event names none. */
export function targetUser(event: DetectionEvent): { id: string | null; label: string } | null {
  const [user] = entriesOfType(event.context, 'users');
  if (!user) return null;
  const label = attribute(user, 'name') ?? attribute(user, 'email') ?? user.id;
  return label === null ? null : { id: user.id, label };
}
