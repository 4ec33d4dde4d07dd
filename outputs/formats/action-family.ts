import { ocsfActivity, type OcsfActivity } from './ocsf-classes';

/**
 * Sorts an Atlassian action key into a family: what ECS categorization and which OCSF class and activity its records
 * get. The ECS values follow Elastic's atlassian_cloud integration wherever it maps an action, so that forwarded events
 * land on Elastic's own dashboards the way its integration's do; the rest follow ECS's guidance for IAM events.
 */

export type Outcome = 'success' | 'failure' | 'unknown';

/**
 * What the OCSF class needs from the event: the user who authenticated (the actor, or the target of an
 * impersonation), the account changed, the group, or the entity (context entry types, `*` matching a suffix).
 * An event that lacks it is written as API Activity instead.
 */
export type OcsfSubject =
  | { kind: 'actor' }
  | { kind: 'target-user' }
  | { kind: 'group' }
  | { kind: 'entity'; types: readonly string[] }
  | { kind: 'none' };

export interface ActionFamily {
  name: string;
  ecs: { category: readonly string[]; type: readonly string[] };
  outcome: Outcome;
  /** Undefined: API Activity, its activity read from the action's verb. */
  ocsf?: OcsfActivity;
  subject: OcsfSubject;
}

interface FamilyRule extends ActionFamily {
  /** Action keys, in API-digest notation: exact, `prefix*` or `*suffix`. */
  actions: readonly string[];
}

// Frozen: every record of a family shares these arrays, so a receiver that edits one must not edit the table.
const ecs = (category: string[], type: string[]) => ({ category: Object.freeze(category), type: Object.freeze(type) });
const actorSubject: OcsfSubject = { kind: 'actor' };
const targetUser: OcsfSubject = { kind: 'target-user' };
const group: OcsfSubject = { kind: 'group' };
const entity = (...types: string[]): OcsfSubject => ({ kind: 'entity', types });
const none: OcsfSubject = { kind: 'none' };

/** First match wins: a longer key comes before the prefix it starts with. */
const RULES: readonly FamilyRule[] = [
  { actions: ['user_login_failed*'], name: 'login-failed', ecs: ecs(['authentication'], ['info']), outcome: 'failure', ocsf: ocsfActivity('authentication', 'Logon'), subject: actorSubject },
  { actions: ['user_login*'], name: 'login', ecs: ecs(['authentication'], ['info']), outcome: 'success', ocsf: ocsfActivity('authentication', 'Logon'), subject: actorSubject },
  { actions: ['user_logout*'], name: 'logout', ecs: ecs(['authentication'], ['info']), outcome: 'success', ocsf: ocsfActivity('authentication', 'Logoff'), subject: actorSubject },
  // An admin signing in as someone else: the account that was logged on is the target, the admin is the actor.
  { actions: ['user_logged_in_as_user'], name: 'impersonation', ecs: ecs(['authentication'], ['info']), outcome: 'success', ocsf: ocsfActivity('authentication', 'Logon'), subject: targetUser },
  { actions: ['user_created'], name: 'user-created', ecs: ecs(['iam'], ['user', 'creation']), outcome: 'success', ocsf: ocsfActivity('accountChange', 'Create'), subject: targetUser },
  { actions: ['user_invit*'], name: 'user-invited', ecs: ecs(['iam'], ['user', 'creation']), outcome: 'success', ocsf: ocsfActivity('accountChange', 'Create'), subject: targetUser },
  { actions: ['user_deactiv*'], name: 'user-deactivated', ecs: ecs(['iam'], ['user', 'change']), outcome: 'success', ocsf: ocsfActivity('accountChange', 'Disable'), subject: targetUser },
  { actions: ['user_reactiv*'], name: 'user-reactivated', ecs: ecs(['iam'], ['user', 'change']), outcome: 'success', ocsf: ocsfActivity('accountChange', 'Enable'), subject: targetUser },
  { actions: ['user_remov*'], name: 'user-removed', ecs: ecs(['iam'], ['user', 'deletion']), outcome: 'success', ocsf: ocsfActivity('accountChange', 'Delete'), subject: targetUser },
  // A product role or organization admin is what OCSF calls a policy attached to the account.
  { actions: ['user_granted_*', 'added_org_admin'], name: 'access-granted', ecs: ecs(['iam'], ['user', 'change']), outcome: 'success', ocsf: ocsfActivity('accountChange', 'Attach Policy'), subject: targetUser },
  { actions: ['user_revoked_*'], name: 'access-revoked', ecs: ecs(['iam'], ['user', 'change']), outcome: 'success', ocsf: ocsfActivity('accountChange', 'Detach Policy'), subject: targetUser },
  { actions: ['twosv_disabled*'], name: 'two-step-disabled', ecs: ecs(['iam'], ['user', 'change']), outcome: 'success', ocsf: ocsfActivity('accountChange', 'MFA Factor Disable'), subject: targetUser },
  { actions: ['group_created'], name: 'group-created', ecs: ecs(['iam'], ['group', 'creation']), outcome: 'success', ocsf: ocsfActivity('groupManagement', 'Create'), subject: group },
  { actions: ['group_deleted'], name: 'group-deleted', ecs: ecs(['iam'], ['group', 'deletion']), outcome: 'success', ocsf: ocsfActivity('groupManagement', 'Delete'), subject: group },
  { actions: ['group_member_add*'], name: 'group-member-added', ecs: ecs(['iam'], ['group', 'change']), outcome: 'success', ocsf: ocsfActivity('groupManagement', 'Add User'), subject: group },
  { actions: ['group_member_remov*'], name: 'group-member-removed', ecs: ecs(['iam'], ['group', 'change']), outcome: 'success', ocsf: ocsfActivity('groupManagement', 'Remove User'), subject: group },
  { actions: ['group_member*'], name: 'group-membership', ecs: ecs(['iam'], ['group', 'change']), outcome: 'success', ocsf: ocsfActivity('groupManagement', 'Other'), subject: group },
  { actions: ['group_granted_*'], name: 'group-access-granted', ecs: ecs(['iam'], ['group', 'change']), outcome: 'success', ocsf: ocsfActivity('groupManagement', 'Assign Privileges'), subject: group },
  { actions: ['api_token_creat*'], name: 'api-token-created', ecs: ecs(['iam'], ['creation']), outcome: 'success', ocsf: ocsfActivity('entityManagement', 'Create'), subject: entity('api-tokens') },
  { actions: ['api_token_revok*'], name: 'api-token-revoked', ecs: ecs(['iam'], ['deletion']), outcome: 'success', ocsf: ocsfActivity('entityManagement', 'Delete'), subject: entity('api-tokens') },
  { actions: ['org_settings_update'], name: 'org-settings-updated', ecs: ecs(['iam', 'configuration'], ['change']), outcome: 'success', ocsf: ocsfActivity('entityManagement', 'Update'), subject: entity('*policy', 'orgs', 'organization') },
  // Before the product prefixes: a product's policy change is a policy change first.
  { actions: ['*_policy_update'], name: 'policy-updated', ecs: ecs(['iam', 'configuration'], ['change']), outcome: 'success', ocsf: ocsfActivity('entityManagement', 'Update'), subject: entity('*policy') },
  { actions: ['marketplace_app_install*'], name: 'app-installed', ecs: ecs(['configuration', 'package'], ['installation']), outcome: 'success', ocsf: ocsfActivity('entityManagement', 'Create'), subject: entity('apps') },
  { actions: ['marketplace_app_uninstall*'], name: 'app-uninstalled', ecs: ecs(['configuration', 'package'], ['deletion']), outcome: 'success', ocsf: ocsfActivity('entityManagement', 'Delete'), subject: entity('apps') },
  { actions: ['organization_users_*'], name: 'org-users-viewed', ecs: ecs(['iam'], ['info']), outcome: 'success', ocsf: ocsfActivity('apiActivity', 'Read'), subject: none },
  { actions: ['user_profile_*'], name: 'user-profile-viewed', ecs: ecs(['iam'], ['user']), outcome: 'success', ocsf: ocsfActivity('entityManagement', 'Read'), subject: entity('users') },
  { actions: ['confluence_*', 'jira_*', 'bitbucket_*'], name: 'product-activity', ecs: ecs(['configuration'], ['info']), outcome: 'success', subject: none },
];

/**
 * An action no rule knows: Elastic's default categorization, so that it still shows on the dashboards, but an outcome
 * of `unknown`, since nothing says it succeeded.
 */
export const UNKNOWN_FAMILY: ActionFamily = { name: 'unknown', ecs: ecs(['configuration'], ['info']), outcome: 'unknown', subject: none };

function matches(action: string, pattern: string): boolean {
  if (pattern.endsWith('*')) return action.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return action.endsWith(pattern.slice(1));
  return action === pattern;
}

// Words that mark an attempt that did not succeed, whatever the family (`jira_export_failed`, `..._denied`).
const FAILURE_WORDS = new Set(['failed', 'failure', 'denied', 'rejected', 'blocked']);

const wordsOf = (action: string): string[] => action.split(/[_.\-\s]+/);

export interface ClassifiedAction {
  family: ActionFamily;
  outcome: Outcome;
}

// Real logs use a few hundred action keys; the cache is bounded so that a stream of made-up ones cannot grow it.
const CLASSIFIED_CACHE_LIMIT = 1_024;
const classified = new Map<string, ClassifiedAction>();

export function classifyAction(action: string): ClassifiedAction {
  let result = classified.get(action);
  if (result === undefined) {
    result = classifyUncached(action);
    if (classified.size < CLASSIFIED_CACHE_LIMIT) classified.set(action, result);
  }
  return result;
}

function classifyUncached(action: string): ClassifiedAction {
  const key = action.toLowerCase();
  const family = RULES.find((rule) => rule.actions.some((pattern) => matches(key, pattern))) ?? UNKNOWN_FAMILY;
  const failed = family.outcome === 'failure' || wordsOf(key).some((word) => FAILURE_WORDS.has(word));
  return { family, outcome: failed ? 'failure' : family.outcome };
}

// The verb in an action key says which CRUD activity an API Activity record is; the first verb found decides.
const VERB_ACTIVITIES: ReadonlyMap<string, OcsfActivity<'apiActivity'>['activity']> = new Map([
  ...['created', 'create', 'added', 'add', 'installed', 'install', 'invited', 'invite'].map((verb) => [verb, 'Create'] as const),
  ...['viewed', 'view', 'exported', 'export', 'downloaded', 'download', 'searched', 'search', 'read', 'accessed'].map((verb) => [verb, 'Read'] as const),
  ...['updated', 'update', 'changed', 'change', 'edited', 'edit', 'archived', 'restored', 'moved', 'renamed', 'enabled', 'disabled', 'granted']
    .map((verb) => [verb, 'Update'] as const),
  ...['deleted', 'delete', 'removed', 'remove', 'uninstalled', 'purged', 'revoked'].map((verb) => [verb, 'Delete'] as const),
]);

/** The API Activity an action is, from its verb; Other when it has none this table knows. */
export function apiActivityOf(action: string): OcsfActivity<'apiActivity'> {
  for (const word of wordsOf(action.toLowerCase())) {
    const activity = VERB_ACTIVITIES.get(word);
    if (activity) return ocsfActivity('apiActivity', activity);
  }
  return ocsfActivity('apiActivity', 'Other');
}
