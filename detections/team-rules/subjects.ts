import { attribute, describeActor, entriesOfType, targetUser, type DetectionEvent } from '../event-view';

/** What a team's rule groups and deduplicates its detections by, read from an event: a stable value and a label. */
interface SubjectReader {
  value(event: DetectionEvent): string | null;
  label(event: DetectionEvent): string | null;
}

const contextEntry = (type: string, labelAttribute: string): SubjectReader => ({
  value: (event) => entriesOfType(event.context, type)[0]?.id ?? null,
  label: (event) => {
    const [entry] = entriesOfType(event.context, type);
    return entry ? (attribute(entry, labelAttribute) ?? entry.id) : null;
  },
});

export const SUBJECTS = {
  actor: { value: (event) => event.actor.id, label: (event) => describeActor(event.actor) },
  'target-user': { value: (event) => targetUser(event)?.id ?? null, label: (event) => targetUser(event)?.label ?? null },
  group: contextEntry('groups', 'name'),
  app: contextEntry('apps', 'name'),
  token: contextEntry('api-tokens', 'tokenLabel'),
  ip: { value: (event) => event.ip, label: (event) => event.ip },
} satisfies Record<string, SubjectReader>;

export type Subject = keyof typeof SUBJECTS;

export const SUBJECT_NAMES = Object.keys(SUBJECTS) as [Subject, ...Subject[]];

/** Threshold rules count stored events in SQL: only the subjects an events column holds. */
export const COUNTED_SUBJECTS = ['actor', 'ip'] as const satisfies readonly Subject[];
