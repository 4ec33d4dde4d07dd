import { ERASED, PSEUDONYM_PREFIX } from './erasure-keys';
import { isPerson, type IdentityEntry, type Person } from './person';

/** A person and the pseudonym their account ids become: what every redaction below needs. */
export interface Redaction {
  person: Person;
  pseudonym(accountId: string): string;
}

/** Shorter names would erase ordinary words from free text; structured fields are redacted whatever their length. */
const SHORTEST_NAME_IN_TEXT = 3;

/**
 * Replaces the person's account ids (by their pseudonym), e-mails and names (by the marker) wherever they occur in a
 * text, ignoring case; `alsoErase` adds values known only for one row (the IP address of an event they made).
 */
export function redactText({ person, pseudonym }: Redaction, alsoErase: readonly string[] = []): (text: string) => string {
  const ids = new Map([...person.accountIds].map((id) => [id.toLowerCase(), id]));
  const terms = [...person.accountIds, ...person.emails, ...[...person.names, ...alsoErase].filter((t) => t.length >= SHORTEST_NAME_IN_TEXT)];
  if (terms.length === 0) return (text) => text;
  // Longest first, so that an e-mail is replaced whole before a name inside it is.
  const pattern = new RegExp([...new Set(terms)].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'gi');
  return (text) =>
    text.replace(pattern, (found) => {
      const id = ids.get(found.toLowerCase());
      return id === undefined ? ERASED : pseudonym(id);
    });
}

/** Whether a text names the person by account id or e-mail (a name alone may be someone else's). */
export function identifiesPerson(person: Person, text: string): boolean {
  const lower = text.toLowerCase();
  return [...person.accountIds, ...person.emails].some((term) => lower.includes(term.toLowerCase()));
}

export interface RedactedEvent {
  event: unknown;
  /** The person is the actor: the event's location and IP address are theirs too. */
  acted: boolean;
  /** The person is the actor, acted for, or is named in the context or the container. */
  appears: boolean;
  /** IP addresses that were the person's: the actor's, and those of their context entries. */
  ips: string[];
}

/**
 * An Atlassian event with the person taken out: as actor (id pseudonymized, name, e-mail and location erased), as
 * on-behalf-of, and as a context or container entry; then their ids, e-mails and names in any remaining text (links,
 * the message). The id, type, action and times stay as they were.
 */
export function redactEvent(redaction: Redaction, original: unknown): RedactedEvent {
  const unchanged = { event: original, acted: false, appears: false, ips: [] };
  if (!isObject(original) || !isObject(original.attributes)) return unchanged;
  const event = structuredClone(original) as Record<string, unknown> & { attributes: Record<string, unknown> };
  const attributes = event.attributes;
  const { person } = redaction;
  const ips: string[] = [];
  let acted = false;
  let appears = false;
  const actor = attributes.actor;
  if (isPerson(actor, person)) {
    acted = appears = true;
    eraseIdentity(redaction, actor);
    if (isObject(attributes.location)) {
      if (typeof attributes.location.ip === 'string') ips.push(attributes.location.ip.trim());
      attributes.location = eraseStrings(attributes.location);
    }
  }
  if (isObject(actor) && isPerson(actor.onBehalfOf, person)) {
    appears = true;
    eraseIdentity(redaction, actor.onBehalfOf);
  }
  for (const entries of [attributes.context, attributes.container]) {
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (!isPerson(entry, person)) continue;
      appears = true;
      if (isObject(entry.attributes) && typeof entry.attributes.ip === 'string') ips.push(entry.attributes.ip.trim());
      eraseIdentity(redaction, entry);
    }
  }
  if (!appears) return unchanged;
  const inText = redactText(redaction);
  for (const key of ['actor', 'context', 'container', 'location']) if (key in attributes) attributes[key] = mapStrings(attributes[key], inText);
  if ('message' in event) event.message = mapStrings(event.message, inText);
  return { event, acted, appears, ips };
}

function eraseIdentity({ pseudonym }: Redaction, entry: IdentityEntry): void {
  // Matched by e-mail, the entry's id is the person's too.
  if (typeof entry.id === 'string' && entry.id !== '' && !entry.id.startsWith(PSEUDONYM_PREFIX)) entry.id = pseudonym(entry.id);
  if (typeof entry.name === 'string') entry.name = ERASED;
  if (typeof entry.email === 'string') entry.email = ERASED;
  if (isObject(entry.attributes)) entry.attributes = eraseStrings(entry.attributes);
}

/** Every string inside the value replaced by the marker: a location, or a person's own context attributes. */
export function eraseStrings(value: unknown): unknown {
  return mapStrings(value, () => ERASED);
}

/** A copy of a JSON value with every string (not the keys) passed through `change`. */
export function mapStrings(value: unknown, change: (text: string) => string): unknown {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, change));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, change)]));
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
