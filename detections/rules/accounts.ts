import { describeActor, targetUser } from '../event-view';
import type { EventRule } from '../rule';

export const passwordReset: EventRule = {
  kind: 'event',
  id: 'password-reset',
  title: "An account's password reset",
  severity: 'medium',
  description:
    "A password was reset, by an admin for a user or by the user with a recovery link: after an account takeover it is how an attacker locks the owner out. " +
    "Atlassian's Guard Detect watches org admins' resets; an event does not say whether its account is an admin, so the rule reads every reset. " +
    'The action keys are not documented: the rule matches *password_reset* and *reset_password*.',
  actions: ['*password_reset*', '*reset_password*'],
  match: () => true,
  dedupSeconds: 3600,
  // Per account whose password changed: the user named by the event, else the actor (a reset of one's own).
  key: (event) => targetUser(event)?.id ?? event.actor.id,
  alertTitle: (event) => `Password reset for ${targetUser(event)?.label ?? describeActor(event.actor)}${targetUser(event) ? ` by ${describeActor(event.actor)}` : ''}`,
};
