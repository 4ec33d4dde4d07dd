import { isIP } from 'node:net';
import type { StoredEvent } from '../stored-event';

// A stored event's raw body passed the schema at ingestion, but formats still read it defensively: a field of the
// wrong type is treated as absent, never thrown on, so that no event stops an output.

export type JsonObject = Record<string, unknown>;

export const objectOf = (value: unknown): JsonObject | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;

/** A non-blank string as sent, or undefined. */
export const textOf = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/** A context or container entry: what it is (type) and which one (id), with its free-form attributes. */
export interface RelatedEntry {
  id?: string;
  type?: string;
  attributes: JsonObject;
}

/** The parts of the Atlassian event that more than one format reads. Arrays and objects are the raw ones, not copies. */
export interface EventParts {
  /** attributes.time exactly as Atlassian sent it. */
  originalTime: string;
  actor: JsonObject;
  /** The raw arrays, for formats that pass them on whole. */
  rawContext: unknown[] | undefined;
  rawContainer: unknown[] | undefined;
  context: RelatedEntry[];
  container: RelatedEntry[];
  location: JsonObject | undefined;
  message: JsonObject | undefined;
  /** The location's IP when it is an IP address: a receiver that types the field rejects the whole record otherwise. */
  validIp: string | undefined;
}

function entriesOf(value: unknown): RelatedEntry[] {
  if (!Array.isArray(value)) return [];
  const entries: RelatedEntry[] = [];
  for (const item of value) {
    const entry = objectOf(item);
    if (entry) entries.push({ id: textOf(entry.id), type: textOf(entry.type), attributes: objectOf(entry.attributes) ?? {} });
  }
  return entries;
}

export function readParts(event: StoredEvent): EventParts {
  const attributes = objectOf(event.raw.attributes) ?? {};
  return {
    originalTime: textOf(attributes.time) ?? event.eventTime,
    actor: objectOf(attributes.actor) ?? {},
    rawContext: Array.isArray(attributes.context) ? attributes.context : undefined,
    rawContainer: Array.isArray(attributes.container) ? attributes.container : undefined,
    context: entriesOf(attributes.context),
    container: entriesOf(attributes.container),
    location: event.location ?? objectOf(attributes.location),
    message: objectOf(event.raw.message),
    validIp: event.ip !== null && isIP(event.ip) !== 0 ? event.ip : undefined,
  };
}

/** Matches an entry type against patterns such as `users`, `*policy` (any case). */
export function typeMatches(type: string | undefined, patterns: readonly string[]): boolean {
  if (type === undefined) return false;
  const lower = type.toLowerCase();
  return patterns.some((pattern) => (pattern.startsWith('*') ? lower.endsWith(pattern.slice(1)) : lower === pattern));
}

/** The first entry, context before container, whose type matches. */
export function findEntry(parts: EventParts, patterns: readonly string[], where: 'context' | 'both' = 'both'): RelatedEntry | undefined {
  const found = parts.context.find((entry) => typeMatches(entry.type, patterns));
  if (found || where === 'context') return found;
  return parts.container.find((entry) => typeMatches(entry.type, patterns));
}

/** The user an action was done to: a `users` entry, or for an invitation the invited address. */
export interface TargetUser {
  id?: string;
  name?: string;
  email?: string;
}

export function targetUserOf(parts: EventParts): TargetUser | undefined {
  const user = findEntry(parts, ['users'], 'context');
  if (user) return { id: user.id, name: textOf(user.attributes.name), email: textOf(user.attributes.email) };
  const invited = findEntry(parts, ['invited-user'], 'context');
  const email = invited && textOf(invited.attributes.email);
  return email === undefined ? undefined : { email };
}

/** A display name for an entry: Atlassian names things differently per type. */
export const entryName = (entry: RelatedEntry): string | undefined =>
  textOf(entry.attributes.name) ?? textOf(entry.attributes.tokenLabel) ?? textOf(entry.attributes.siteName) ?? textOf(entry.attributes.key);

/**
 * Drops undefined members, so that a record never carries a key without a value; undefined when nothing is left. The
 * object itself comes back when every member has a value (the common case), a copy only otherwise.
 */
export function defined<T extends JsonObject>(members: T): Partial<T> | undefined {
  let kept = 0;
  let dropped = 0;
  for (const key in members) {
    if (members[key] === undefined) dropped++;
    else kept++;
  }
  if (kept === 0) return undefined;
  if (dropped === 0) return members;
  const result: JsonObject = {};
  for (const key in members) {
    if (members[key] !== undefined) result[key] = members[key];
  }
  return result as Partial<T>;
}

/** Unique non-blank strings, in first-seen order. */
export function uniqueTexts(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined && value.trim() !== ''))];
}
