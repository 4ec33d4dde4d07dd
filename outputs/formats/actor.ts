import type { StoredEvent } from '../stored-event';
import { objectOf, textOf, type EventParts, type JsonObject } from './raw-event';

/**
 * Who acted: a person, an app (a Connect or Forge app, which Atlassian marks with `actor.app`), or Atlassian itself
 * (`{ id: "confluence", email: "Atlassian app" }`). Only people belong in the fields that dashboards count as users.
 */
export type ActorKind = 'user' | 'app' | 'system';

export interface Actor {
  kind: ActorKind;
  id: string;
  name?: string;
  /** Set only when it is an address: system actors send a label in the e-mail field. */
  email?: string;
  /** `actor.app` as sent, when present (an app acting, or a person acting through one). */
  app?: JsonObject;
}

// Deliberately plain, as in ingestion's normalizer: it only has to tell an address from a label such as "Atlassian app".
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// Atlassian account ids: `557058:<uuid>` and similar numbered prefixes, 24 hex digits, or a bare UUID. Product ids
// such as "confluence" and app ARIs ("ari:cloud:ecosystem::app/...") are none of these.
const ACCOUNT_ID = /^(\d+:[0-9a-f-]{8,64}|[0-9a-f]{24}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function describeActor(event: StoredEvent, parts: EventParts): Actor {
  const email = event.actorEmail !== null && EMAIL.test(event.actorEmail.trim()) ? event.actorEmail.trim() : undefined;
  const app = objectOf(parts.actor.app);
  const actor = { id: event.actorId, name: textOf(event.actorName), email, app };
  // An address means a person even when an app carried the action; an app's own account id looks like a person's,
  // so `actor.app` decides before the id does.
  if (email !== undefined) return { kind: 'user', ...actor };
  if (app !== undefined) return { kind: 'app', ...actor };
  return { kind: ACCOUNT_ID.test(event.actorId) ? 'user' : 'system', ...actor };
}
