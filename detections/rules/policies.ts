import { describeActor, entriesOfType, type DetectionEvent } from '../event-view';
import type { EventRule } from '../rule';
import { WEEK_SECONDS } from '../rule';

const HOUR = 3600;
const AUTHENTICATION_POLICY_UPDATE = 'authentication_policy_update';

const touchesAuthenticationPolicy = (event: DetectionEvent) =>
  entriesOfType([...event.container, ...event.context], 'AuthenticationPolicy').length > 0;

export const authenticationPolicyChanged: EventRule = {
  kind: 'event',
  id: 'authentication-policy-changed',
  title: 'Authentication policy changed',
  severity: 'high',
  description: 'An authentication policy (SSO enforcement, two-step verification, session length, password rules) was changed.',
  actions: [AUTHENTICATION_POLICY_UPDATE, 'org_settings_update'],
  match: (event) => event.action === AUTHENTICATION_POLICY_UPDATE || touchesAuthenticationPolicy(event),
  dedupSeconds: HOUR,
  // A policy change is rare and deliberate: the admin's edits of a week are one case.
  groupSeconds: WEEK_SECONDS,
  // Per admin: a burst of edits to one policy is one change session.
  key: (event) => event.actor.id,
  alertTitle: (event) => `Authentication policy changed by ${describeActor(event.actor)}`,
};

export const securityPolicyChanged: EventRule = {
  kind: 'event',
  id: 'security-policy-changed',
  title: 'Security policy changed',
  severity: 'medium',
  description: 'A policy other than authentication (data classification, data security, IP allowlist...) was updated.',
  actions: ['*_policy_update'],
  // Authentication policy updates raise the rule above; one event, one detection.
  match: (event) => event.action !== AUTHENTICATION_POLICY_UPDATE,
  dedupSeconds: HOUR,
  // A policy change is rare and deliberate: the admin's edits of a week are one case.
  groupSeconds: WEEK_SECONDS,
  key: (event) => `${event.action}:${event.actor.id}`,
  alertTitle: (event) => `${policyName(event.action)} changed by ${describeActor(event.actor)}`,
};

/** `data_classification_policy_update` → "Data classification policy". */
function policyName(action: string): string {
  const words = action.replace(/_update$/, '').split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
