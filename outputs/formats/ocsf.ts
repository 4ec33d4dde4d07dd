import type { StoredEvent } from '../stored-event';
import { describeActor, type Actor } from './actor';
import { apiActivityOf, classifyAction, type ActionFamily, type Outcome } from './action-family';
import { OCSF_VERSION, resolveActivity, type OcsfActivity } from './ocsf-classes';
import { LOG_TYPE } from './raw';
import { defined, entryName, findEntry, objectOf, readParts, targetUserOf, textOf, type EventParts, type JsonObject, type RelatedEntry } from './raw-event';

/**
 * An OCSF 1.3.0 event. Each action family has its class (Account Change, Authentication, Entity Management, Group
 * Management); an event of no family, or one that lacks what its class requires (the account changed, the group, the
 * entity), is API Activity, whose activity comes from the action's verb. What OCSF has no attribute for is under
 * `unmapped`, as Atlassian named it.
 *
 * Atlassian reports no severity, so every event is Informational. Atlassian's location names (country, region) are
 * not the ISO codes OCSF's location holds, so they stay in `unmapped.location`.
 */
export function ocsfRecord(event: StoredEvent): Record<string, unknown> {
  const parts = readParts(event);
  const actor = describeActor(event, parts);
  const { family, outcome } = classifyAction(event.action);
  const subject = family.ocsf === undefined ? undefined : subjectOf(family, parts, actor);
  const target: OcsfActivity = subject === undefined || family.ocsf === undefined ? apiActivityOf(event.action) : family.ocsf;
  const { classInfo, activityId, activityName } = resolveActivity(target);
  const isApiActivity = target.class === 'apiActivity';
  return {
    class_uid: classInfo.uid,
    class_name: classInfo.name,
    category_uid: classInfo.categoryUid,
    category_name: classInfo.categoryName,
    activity_id: activityId,
    activity_name: activityName,
    type_uid: classInfo.uid * 100 + activityId,
    type_name: `${classInfo.name}: ${activityName}`,
    severity_id: 1,
    severity: 'Informational',
    ...STATUS[outcome],
    time: Date.parse(event.eventTime),
    ...defined({ message: textOf(parts.message?.content) }),
    metadata: defined({
      version: OCSF_VERSION,
      product: { name: 'Atlassian Cloud', vendor_name: 'Atlassian' },
      uid: event.eventId,
      original_time: parts.originalTime,
      event_code: event.action,
      logged_time: event.processedAt === null ? undefined : Date.parse(event.processedAt),
      processed_time: Date.parse(event.parsedAt),
      sequence: event.seq,
      log_name: LOG_TYPE,
    }),
    actor: actorOf(actor),
    ...subject,
    ...(isApiActivity ? { api: { operation: event.action }, ...defined({ resources: resourcesOf(parts) }) } : {}),
    ...defined({ src_endpoint: sourceEndpointOf(parts) }),
    unmapped: unmappedOf(event, parts, actor),
  };
}

const STATUS: Record<Outcome, { status: string; status_id: number }> = {
  success: { status: 'Success', status_id: 1 },
  failure: { status: 'Failure', status_id: 2 },
  unknown: { status: 'Unknown', status_id: 0 },
};

const userOf = (user: { id?: string; name?: string; email?: string }): JsonObject | undefined =>
  // An invitation names only an address, which is then also the name the account will go by.
  defined({ uid: user.id, name: user.name ?? user.email, email_addr: user.email });

function actorOf(actor: Actor): JsonObject {
  if (actor.kind === 'user') {
    return {
      user: userOf(actor),
      ...defined({ app_uid: textOf(actor.app?.id), app_name: textOf(objectOf(actor.app?.attributes)?.name) ?? textOf(actor.app?.name) }),
    };
  }
  return { app_uid: textOf(actor.app?.id) ?? actor.id, app_name: actor.name ?? textOf(objectOf(actor.app?.attributes)?.name) ?? actor.id };
}

const entityOf = (entry: RelatedEntry): JsonObject | undefined =>
  defined({ uid: entry.id, name: entryName(entry), type: entry.type, data: Object.keys(entry.attributes).length > 0 ? entry.attributes : undefined });

/** The attributes the family's class requires, or undefined when the event does not carry them. */
function subjectOf(family: ActionFamily, parts: EventParts, actor: Actor): JsonObject | undefined {
  const subject = family.subject;
  switch (subject.kind) {
    case 'actor':
      return actor.kind === 'user' ? { user: userOf(actor) } : undefined;
    case 'target-user': {
      const target = targetUserOf(parts);
      return target && { user: userOf(target) };
    }
    case 'group': {
      const group = findEntry(parts, ['groups'], 'context');
      const member = targetUserOf(parts);
      return group && { group: defined({ uid: group.id, name: textOf(group.attributes.name) }), ...defined({ user: member && userOf(member) }) };
    }
    case 'entity': {
      const entry = findEntry(parts, subject.types);
      const entity = entry && entityOf(entry);
      return entity && { entity };
    }
    case 'none':
      return {};
  }
}

function resourcesOf(parts: EventParts): JsonObject[] | undefined {
  const resources = parts.context.map((entry) => defined({ uid: entry.id, name: entryName(entry), type: entry.type })).filter((r) => r !== undefined);
  return resources.length > 0 ? resources : undefined;
}

function sourceEndpointOf(parts: EventParts): JsonObject | undefined {
  const city = textOf(parts.location?.city);
  return defined({
    ip: parts.validIp,
    // OCSF's location needs a city, country code, region code or postal code; Atlassian's names give only the city.
    location: city && defined({ city, desc: textOf(parts.location?.geo) }),
  });
}

function unmappedOf(event: StoredEvent, parts: EventParts, actor: Actor): JsonObject {
  const location = parts.location;
  return {
    organization_id: event.organizationId,
    source: { id: event.sourceId, name: event.sourceName },
    ...defined({
      actor: defined({
        // An app's account id, which actor.app_uid (the app's own id) does not carry.
        id: actor.kind === 'app' && textOf(actor.app?.id) !== undefined ? actor.id : undefined,
        auth: objectOf(parts.actor.auth),
        onBehalfOf: objectOf(parts.actor.onBehalfOf),
      }),
      context: parts.rawContext,
      container: parts.rawContainer,
      location: defined({
        geo: textOf(location?.geo),
        countryName: textOf(location?.countryName),
        regionName: textOf(location?.regionName),
        ip: parts.validIp === undefined ? (event.ip ?? undefined) : undefined,
      }),
      message: defined({ format: textOf(parts.message?.format) }),
    }),
  };
}
