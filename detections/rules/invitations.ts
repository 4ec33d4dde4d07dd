import { attribute, describeActor, type DetectionEvent } from '../event-view';
import type { DetectionSettings, EventRule } from '../rule';
import { WEEK_SECONDS } from '../rule';

const domainOf = (email: string | null): string | null => {
  const at = email?.lastIndexOf('@') ?? -1;
  return email && at > 0 ? email.slice(at + 1).toLowerCase() : null;
};

/** Invitees appear as `invited-user` entries; some events name them as plain `users` entries instead. */
export function invitedEmails(event: DetectionEvent): string[] {
  const emailsOf = (predicate: (type: string) => boolean) =>
    event.context
      .filter((entry) => entry.type !== null && predicate(entry.type.toLowerCase()))
      .map((entry) => attribute(entry, 'email'))
      .filter((email): email is string => email !== null && domainOf(email) !== null);
  const invited = emailsOf((type) => type.includes('invit'));
  return invited.length > 0 ? invited : emailsOf((type) => type === 'users');
}

/** Configured domains, else the inviting admin's own; empty when neither is known. */
function allowedDomains(event: DetectionEvent, settings: DetectionSettings): string[] {
  if (settings.allowedInviteDomains.length > 0) return settings.allowedInviteDomains.map((d) => d.toLowerCase());
  const own = domainOf(event.actor.email);
  return own ? [own] : [];
}

function outsideDomains(event: DetectionEvent, settings: DetectionSettings): string[] {
  const allowed = allowedDomains(event, settings);
  // Without any allowed domain the rule cannot tell inside from outside: it stays silent rather than flag everyone.
  if (allowed.length === 0) return [];
  return invitedEmails(event).filter((email) => {
    const domain = domainOf(email)!;
    return !allowed.some((ok) => domain === ok || domain.endsWith(`.${ok}`));
  });
}

export const externalInvitation: EventRule = {
  kind: 'event',
  id: 'external-invitation',
  title: 'Invitation sent outside the allowed domains',
  severity: 'medium',
  description: "A user was invited with an e-mail address outside the domains allowed for this source (by default the inviting admin's domain).",
  actions: ['user_invitation_sent'],
  match: (event, settings) => outsideDomains(event, settings).length > 0,
  dedupSeconds: 24 * 3600,
  // Invitations to one outside domain within a week are one case: a partnership, or one leak.
  groupSeconds: WEEK_SECONDS,
  // Per outside domain: the finding is "invitations go to evil.example.net", not each address invited there.
  key: (event, settings) => domainOf(outsideDomains(event, settings)[0] ?? null) ?? '?',
  alertTitle: (event, settings) => `${describeActor(event.actor)} invited ${outsideDomains(event, settings).join(', ')}, outside the allowed domains`,
};
