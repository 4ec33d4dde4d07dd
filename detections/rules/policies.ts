import { actionFilter } from '../action-filter';
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

export const ipAllowlistChanged: EventRule = {
  kind: 'event',
  id: 'ip-allowlist-changed',
  title: 'IP allowlist changed',
  severity: 'high',
  description:
    'An IP allowlist was created, changed, turned off or deleted: it decides from which networks the products can be reached. ' +
    'The action keys are not documented: the rule matches *ip_allowlist* and *ip_allow_list*.',
  actions: ['*ip_allowlist*', '*ip_allow_list*'],
  match: () => true,
  dedupSeconds: HOUR,
  key: (event) => event.actor.id,
  alertTitle: (event) => `IP allowlist changed (${event.action}) by ${describeActor(event.actor)}`,
};

export const dataSecurityPolicyChanged: EventRule = {
  kind: 'event',
  id: 'data-security-policy-changed',
  title: 'Data security or audit-log policy changed',
  severity: 'high',
  description:
    'A data security policy (export, public links, app access to data) or the audit log settings changed: the controls that keep data in and record who took it. ' +
    'The action keys are not documented: the rule matches *data_security_polic* and the audit log changes *audit_log*_update*, *audit_log*_disabled, *audit_log*_deleted.',
  actions: ['*data_security_polic*', '*audit_log*_update*', '*audit_log*_disabled', '*audit_log*_deleted'],
  match: () => true,
  dedupSeconds: HOUR,
  key: (event) => `${event.action}:${event.actor.id}`,
  alertTitle: (event) => `${policyName(event.action)} changed by ${describeActor(event.actor)}`,
};

/** Policy updates with a rule of their own; one event, one detection. */
const OWN_RULE_POLICIES = actionFilter([...ipAllowlistChanged.actions, ...dataSecurityPolicyChanged.actions]);

export const securityPolicyChanged: EventRule = {
  kind: 'event',
  id: 'security-policy-changed',
  title: 'Security policy changed',
  severity: 'medium',
  description: 'A policy other than authentication, IP allowlist and data security (data classification, for example) was updated.',
  actions: ['*_policy_update'],
  // Authentication, IP allowlist and data security policy updates raise the rules above.
  match: (event) => event.action !== AUTHENTICATION_POLICY_UPDATE && !OWN_RULE_POLICIES.test(event.action),
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
