/**
 * Everything a person is known by in the store: found from the key the operator gave (see find-person.ts). Account
 * ids and e-mails identify; names only point at rows worth a look, since two people may share one.
 */
export interface Person {
  accountIds: Set<string>;
  /** Lower-case. */
  emails: Set<string>;
  names: Set<string>;
}

export function emptyPerson(): Person {
  return { accountIds: new Set(), emails: new Set(), names: new Set() };
}

/** An actor, an on-behalf-of, or a context or container entry: whatever carries an id, a name or an e-mail. */
export interface IdentityEntry {
  [field: string]: unknown;
  id?: unknown;
  name?: unknown;
  email?: unknown;
}

const attribute = (entry: IdentityEntry, field: string): unknown => {
  const attributes = entry.attributes;
  return attributes !== null && typeof attributes === 'object' ? (attributes as Record<string, unknown>)[field] : undefined;
};

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

export const entryName = (entry: IdentityEntry): string | undefined => text(entry.name) ?? text(attribute(entry, 'name'));
export const entryEmail = (entry: IdentityEntry): string | undefined => text(entry.email) ?? text(attribute(entry, 'email'));

/** Whether the entry is the person: by account id or e-mail, never by name alone. */
export function isPerson(entry: unknown, person: Person): entry is IdentityEntry {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return false;
  const candidate = entry as IdentityEntry;
  const email = entryEmail(candidate);
  return (typeof candidate.id === 'string' && person.accountIds.has(candidate.id)) || (email !== undefined && person.emails.has(email.toLowerCase()));
}

/** Adds what the entry says of the person; true when the person grew. */
export function learnFrom(entry: IdentityEntry, person: Person): boolean {
  const before = person.accountIds.size + person.emails.size + person.names.size;
  if (typeof entry.id === 'string' && entry.id !== '') person.accountIds.add(entry.id);
  const email = entryEmail(entry);
  if (email !== undefined) person.emails.add(email.toLowerCase());
  const name = entryName(entry);
  if (name !== undefined) person.names.add(name);
  return person.accountIds.size + person.emails.size + person.names.size > before;
}
