import type { StoredEvent } from '../stored-event';
import { describeActor, type Actor } from './actor';
import { classifyAction } from './action-family';
import { defined, findEntry, objectOf, readParts, targetUserOf, textOf, uniqueTexts, type EventParts, type JsonObject } from './raw-event';

/** The ECS release whose field set these records use. */
export const ECS_VERSION = '8.17.0';

/**
 * An Elastic Common Schema document laid out as Elastic's atlassian_cloud integration lays out the same event:
 * `event.dataset` names its data set, and what ECS has no field for sits under `atlassian_cloud.audit`.
 *
 * `event.original` is left out: the raw format carries the event as received, and a second copy of every event in
 * every document would double what the destination stores and what the forwarder sends.
 */
export function ecsRecord(event: StoredEvent): Record<string, unknown> {
  const parts = readParts(event);
  const actor = describeActor(event, parts);
  const { family, outcome } = classifyAction(event.action);
  const isUser = actor.kind === 'user';
  const target = targetUserOf(parts);
  const group = findEntry(parts, ['groups'], 'context');
  return {
    '@timestamp': event.eventTime,
    ecs: { version: ECS_VERSION },
    event: defined({
      id: event.eventId,
      action: event.action,
      kind: 'event',
      category: family.ecs.category,
      type: family.ecs.type,
      outcome,
      created: event.processedAt ?? undefined,
      sequence: event.seq,
      dataset: 'atlassian_cloud.audit',
      module: 'atlassian_cloud',
    }),
    ...defined({
      message: textOf(parts.message?.content),
      user: defined({
        ...(isUser ? { id: actor.id, name: actor.name, email: actor.email } : {}),
        target: target && defined({ id: target.id, name: target.name, email: target.email }),
      }),
      group: group && defined({ id: group.id, name: textOf(group.attributes.name) }),
      source: sourceOf(parts),
      related: defined({
        ip: event.anyIpAddresses.length > 0 ? event.anyIpAddresses : undefined,
        user: relatedUsers(event, actor),
      }),
    }),
    organization: { id: event.organizationId },
    observer: { vendor: 'Atlassian', product: 'Atlassian Cloud', type: 'saas' },
    labels: { source_id: event.sourceId, source_name: event.sourceName },
    atlassian_cloud: { audit: auditDetails(event, parts, actor) },
  };
}

function sourceOf(parts: EventParts): JsonObject | undefined {
  const location = parts.location;
  return defined({
    ip: parts.validIp,
    geo: location && defined({ city_name: textOf(location.city), region_name: textOf(location.regionName), country_name: textOf(location.countryName) }),
  });
}

/** The people named on the event, by name and address; a non-human actor's label is not a user. */
function relatedUsers(event: StoredEvent, actor: Actor): string[] | undefined {
  const names = actor.kind === 'user' ? event.anyUsernames : event.anyUsernames.filter((name) => name !== actor.name);
  const users = uniqueTexts([...names, ...event.anyEmails]);
  return users.length > 0 ? users : undefined;
}

/** What ECS has no field for, named as Elastic's integration names it; context and container are the raw arrays. */
function auditDetails(event: StoredEvent, parts: EventParts, actor: Actor): JsonObject {
  const auth = objectOf(parts.actor.auth);
  const onBehalfOf = objectOf(parts.actor.onBehalfOf);
  const app = defined({
    // The app's own id (its ARI) when Atlassian sends one; a system actor's id is its product ("confluence").
    id: textOf(actor.app?.id) ?? (actor.kind === 'user' ? undefined : actor.id),
    name: actor.kind === 'user' ? undefined : actor.name,
    type: textOf(actor.app?.type),
    attributes: objectOf(actor.app?.attributes),
  });
  return {
    ...defined({
      actor: defined({
        auth: auth && defined({ auth_type: textOf(auth.authType), token_id: textOf(auth.tokenId), token_label: textOf(auth.tokenLabel) }),
        on_behalf_of: onBehalfOf && defined({ id: textOf(onBehalfOf.id), name: textOf(onBehalfOf.name), email: textOf(onBehalfOf.email) }),
        app: actor.kind === 'user' && actor.app === undefined ? undefined : app,
      }),
      context: parts.rawContext,
      container: parts.rawContainer,
      location: defined({
        geo: textOf(parts.location?.geo),
        // Kept when it is not an address, since source.ip cannot hold it.
        ip: parts.validIp === undefined ? (event.ip ?? undefined) : undefined,
      }),
      message: defined({ format: textOf(parts.message?.format) }),
    }),
  };
}
