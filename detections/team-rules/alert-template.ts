import type { DetectionEvent } from '../event-view';
import { Subject, SUBJECTS } from './subjects';

/** The named fields an alert title template may use, each read from the triggering event. */
const FIELDS: Record<string, (event: DetectionEvent) => string | null> = {
  actor: SUBJECTS.actor.label,
  action: (event) => event.action,
  ip: (event) => event.ip,
  country: (event) => event.country,
  user: SUBJECTS['target-user'].label,
  group: SUBJECTS.group.label,
  app: SUBJECTS.app.label,
  token: SUBJECTS.token.label,
};

export const TEMPLATE_FIELDS = [...Object.keys(FIELDS), 'subject'];

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** The first placeholder a template names that is not a field, or undefined when every one is. */
export function unknownTemplateField(template: string): string | undefined {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).find((name) => !TEMPLATE_FIELDS.includes(name));
}

/** A title builder: `{actor} created a token from {ip}`; a field the event lacks reads as a dash. */
export function alertTitleTemplate(template: string, subject: Subject): (event: DetectionEvent) => string {
  const fields: typeof FIELDS = { ...FIELDS, subject: SUBJECTS[subject].label };
  return (event) => template.replace(PLACEHOLDER, (_, name: string) => fields[name](event) ?? '-');
}
