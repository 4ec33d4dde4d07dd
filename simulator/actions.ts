import type { Random } from './prng';
import {
  namedEntry,
  orgEntry,
  siteEntry,
  systemActor,
  userActor,
  userEntry,
  type Person,
  type Population,
} from './population';

// The action catalogue the simulator plays: the keys and shapes of the public API digest, with weights that give
// a plausible mix (many logins and product views, few admin-role changes). It also serves /event-actions.

type JsonObject = Record<string, unknown>;

export interface ActionShape {
  actor: JsonObject;
  context: JsonObject[];
  container?: JsonObject[];
  /** False for events that never carry a location, such as those of system actors. */
  located: boolean;
  message: string;
}

export interface ActionDefinition {
  key: string;
  displayName: string;
  group: string;
  weight: number;
  product: 'admin' | 'jira' | 'confluence' | 'bitbucket';
  build(rng: Random, pop: Population): ActionShape;
}

const person = (rng: Random, pop: Population): Person => rng.pick(pop.people);
const admin = (rng: Random, pop: Population): Person => rng.pick(pop.admins);
const orgContainer = (rng: Random, pop: Population): JsonObject[] => [orgEntry(pop, rng.chance(0.5) ? 'orgs' : 'organization')];

function byAdmin(
  rng: Random,
  pop: Population,
  context: (target: Person) => JsonObject[],
  message: (actor: Person, target: Person) => string,
): ActionShape {
  const actor = admin(rng, pop);
  const target = person(rng, pop);
  return { actor: userActor(rng, actor), context: context(target), container: orgContainer(rng, pop), located: true, message: message(actor, target) };
}

function bySelf(rng: Random, pop: Population, message: (actor: Person) => string, context: JsonObject[] = []): ActionShape {
  const actor = person(rng, pop);
  return { actor: userActor(rng, actor), context, container: [siteEntry(rng, pop)], located: true, message: message(actor) };
}

export const ACTIONS: readonly ActionDefinition[] = [
  {
    key: 'user_login', displayName: 'User logged in', group: 'User account activity', weight: 22, product: 'admin',
    build: (rng, pop) => bySelf(rng, pop, (a) => `${a.name} logged in`),
  },
  {
    key: 'user_logout', displayName: 'User logged out', group: 'User account activity', weight: 5, product: 'admin',
    build: (rng, pop) => bySelf(rng, pop, (a) => `${a.name} logged out`),
  },
  {
    key: 'user_login_failed', displayName: 'User login failed', group: 'User account activity', weight: 6, product: 'admin',
    build: (rng, pop) => {
      const target = person(rng, pop);
      // Failed logins name the account that was tried; the actor is often only an id.
      const actor = rng.chance(0.5) ? { id: target.id } : userActor(rng, target);
      return { actor, context: [], located: true, message: `Failed login attempt for ${target.email}` };
    },
  },
  {
    key: 'user_logged_in_as_user', displayName: 'Admin logged in as user', group: 'User account activity', weight: 0.5, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (a, t) => `${a.name} logged in as ${t.name}`),
  },
  {
    key: 'twosv_disabled_for_user', displayName: 'Two-step verification disabled', group: 'Security', weight: 0.4, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (a, t) => `${a.name} disabled two-step verification for ${t.name}`),
  },
  {
    key: 'user_created', displayName: 'User created', group: 'User management', weight: 2, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (_a, t) => `Created account for ${t.name}`),
  },
  {
    key: 'user_invitation_sent', displayName: 'User invited', group: 'User management', weight: 2, product: 'admin',
    build: (rng, pop) => {
      const actor = admin(rng, pop);
      const email = `guest${rng.int(1, 999)}@partner.example.net`;
      return {
        actor: userActor(rng, actor),
        context: [{ id: rng.uuid(), type: 'invited-user', attributes: { email } }],
        container: [siteEntry(rng, pop)],
        located: true,
        message: `${actor.name} invited ${email}`,
      };
    },
  },
  {
    key: 'user_deactivated', displayName: 'User deactivated', group: 'User management', weight: 0.7, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (_a, t) => `Deactivated ${t.name}`),
  },
  {
    key: 'user_reactivated', displayName: 'User reactivated', group: 'User management', weight: 0.3, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (_a, t) => `Reactivated ${t.name}`),
  },
  {
    key: 'user_removed_from_org', displayName: 'User removed from organization', group: 'User management', weight: 0.3, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (_a, t) => `Removed ${t.name} from the organization`),
  },
  {
    key: 'user_granted_role', displayName: 'User granted role', group: 'Product access', weight: 1.5, product: 'admin',
    build: (rng, pop) =>
      byAdmin(rng, pop, (t) => [userEntry(t), { id: rng.uuid(), type: 'roles', attributes: { role: rng.pick(['user', 'admin', 'basic']) } }],
        (_a, t) => `Granted a product role to ${t.name}`),
  },
  {
    key: 'user_revoked_role', displayName: 'User role revoked', group: 'Product access', weight: 1, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (_a, t) => `Revoked a product role from ${t.name}`),
  },
  {
    key: 'added_org_admin', displayName: 'Organization admin added', group: 'Organization', weight: 0.4, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (_a, t) => `Made ${t.name} an organization admin`),
  },
  {
    key: 'group_created', displayName: 'Group created', group: 'Groups', weight: 1, product: 'admin',
    build: (rng, pop) => {
      const group = rng.pick(pop.groups);
      return byAdmin(rng, pop, () => [namedEntry(group, 'groups')], () => `Created group ${group.name}`);
    },
  },
  {
    key: 'group_deleted', displayName: 'Group deleted', group: 'Groups', weight: 0.4, product: 'admin',
    build: (rng, pop) => {
      const group = rng.pick(pop.groups);
      return byAdmin(rng, pop, () => [namedEntry(group, 'groups')], () => `Deleted group ${group.name}`);
    },
  },
  {
    key: 'group_member_added', displayName: 'User added to group', group: 'Groups', weight: 3, product: 'admin',
    build: (rng, pop) => {
      const group = rng.pick(pop.groups);
      return byAdmin(rng, pop, (t) => [userEntry(t), namedEntry(group, 'groups')], (_a, t) => `Added ${t.name} to ${group.name}`);
    },
  },
  {
    key: 'group_member_removed', displayName: 'User removed from group', group: 'Groups', weight: 1, product: 'admin',
    build: (rng, pop) => {
      const group = rng.pick(pop.groups);
      return byAdmin(rng, pop, (t) => [userEntry(t), namedEntry(group, 'groups')], (_a, t) => `Removed ${t.name} from ${group.name}`);
    },
  },
  {
    key: 'group_granted_admin_access', displayName: 'Group granted admin access', group: 'Groups', weight: 0.3, product: 'admin',
    build: (rng, pop) => {
      const group = rng.pick(pop.groups);
      return byAdmin(rng, pop, () => [namedEntry(group, 'groups'), siteEntry(rng, pop)], () => `Granted admin access to ${group.name}`);
    },
  },
  {
    key: 'api_token_created', displayName: 'API token created', group: 'Security', weight: 1.5, product: 'admin',
    build: (rng, pop) => {
      const owner = person(rng, pop);
      const tokenId = rng.uuid();
      const tokenLabel = rng.pick(['ci', 'jira-sync', 'backup script', 'grafana']);
      return {
        actor: { ...userActor(rng, owner), auth: { authType: 'session' } },
        context: [{ id: tokenId, type: 'api-tokens', attributes: { tokenLabel } }],
        located: true,
        message: `${owner.name} created API token "${tokenLabel}"`,
      };
    },
  },
  {
    key: 'api_token_revoked', displayName: 'API token revoked', group: 'Security', weight: 0.8, product: 'admin',
    build: (rng, pop) => {
      const owner = person(rng, pop);
      const tokenId = rng.uuid();
      return {
        actor: { ...userActor(rng, owner), auth: { authType: 'api-token', tokenId, tokenLabel: 'ci' } },
        context: [{ id: tokenId, type: 'api-tokens' }],
        located: true,
        message: `API token revoked`,
      };
    },
  },
  {
    key: 'org_settings_update', displayName: 'Organization settings updated', group: 'Organization', weight: 0.5, product: 'admin',
    build: (rng, pop) => {
      const actor = admin(rng, pop);
      return {
        actor: userActor(rng, actor),
        context: [],
        container: [
          { id: rng.uuid(), type: 'AuthenticationPolicy', attributes: { name: 'Default policy', setting: rng.pick(['enforceTwoStep', 'sessionDuration', 'passwordStrength']) } },
          orgEntry(pop),
        ],
        located: true,
        message: `${actor.name} updated an authentication policy setting`,
      };
    },
  },
  {
    key: 'authentication_policy_update', displayName: 'Authentication policy updated', group: 'Security', weight: 0.3, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, () => [{ id: rng.uuid(), type: 'AuthenticationPolicy', attributes: { name: 'Contractors' } }], () => 'Authentication policy updated'),
  },
  {
    key: 'data_classification_policy_update', displayName: 'Data classification policy updated', group: 'Security', weight: 0.2, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, () => [{ id: rng.uuid(), type: 'DataClassificationPolicy' }], () => 'Data classification policy updated'),
  },
  {
    key: 'marketplace_app_installed', displayName: 'App installed', group: 'Apps', weight: 0.5, product: 'admin',
    build: (rng, pop) => {
      const app = rng.pick(pop.apps);
      return byAdmin(rng, pop, () => [namedEntry(app, 'apps', { vendor: 'Example Vendor' }), siteEntry(rng, pop)], (a) => `${a.name} installed ${app.name}`);
    },
  },
  {
    key: 'organization_users_viewed', displayName: 'Organization users viewed', group: 'Organization', weight: 3, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, () => [], (a) => `${a.name} viewed the user list`),
  },
  {
    key: 'user_profile_viewed', displayName: 'User profile viewed', group: 'User management', weight: 3, product: 'admin',
    build: (rng, pop) => byAdmin(rng, pop, (t) => [userEntry(t)], (_a, t) => `Viewed the profile of ${t.name}`),
  },
  {
    key: 'jira_issue_viewed', displayName: 'Issue viewed', group: 'Jira', weight: 14, product: 'jira',
    build: (rng, pop) => {
      const project = rng.pick(pop.projects);
      const issue = `${project.name}-${rng.int(1, 4000)}`;
      return bySelf(rng, pop, (a) => `${a.name} viewed ${issue}`, [{ id: String(rng.int(10000, 99999)), type: 'jira-issues', attributes: { key: issue } }]);
    },
  },
  {
    key: 'jira_project_created', displayName: 'Project created', group: 'Jira', weight: 0.3, product: 'jira',
    build: (rng, pop) => {
      const project = rng.pick(pop.projects);
      return byAdmin(rng, pop, () => [namedEntry(project, 'jira-projects')], () => `Created project ${project.name}`);
    },
  },
  {
    key: 'confluence_added_space_permission', displayName: 'Space permission added', group: 'Confluence', weight: 2, product: 'confluence',
    build: (rng, pop) => {
      const space = rng.pick(pop.spaces);
      // Confluence often records these as itself, the "Atlassian app" actor.
      const shape = byAdmin(rng, pop, (t) => [namedEntry(space, 'confluence-spaces'), userEntry(t)], (_a, t) => `Gave ${t.name} access to ${space.name}`);
      return rng.chance(0.4) ? { ...shape, actor: systemActor(rng), located: false } : shape;
    },
  },
  {
    key: 'confluence_page_exported', displayName: 'Page exported', group: 'Confluence', weight: 1, product: 'confluence',
    build: (rng, pop) => {
      const space = rng.pick(pop.spaces);
      return bySelf(rng, pop, (a) => `${a.name} exported a page from ${space.name}`, [namedEntry(space, 'confluence-spaces')]);
    },
  },
  {
    key: 'confluence_space_archived', displayName: 'Space archived', group: 'Confluence', weight: 0.5, product: 'confluence',
    build: (rng, pop) => {
      const space = rng.pick(pop.spaces);
      return { actor: systemActor(rng), context: [namedEntry(space, 'confluence-spaces')], container: [siteEntry(rng, pop)], located: false, message: `Space ${space.name} archived` };
    },
  },
  {
    key: 'bitbucket_repository_created', displayName: 'Repository created', group: 'Bitbucket', weight: 0.6, product: 'bitbucket',
    build: (rng, pop) =>
      bySelf(rng, pop, (a) => `${a.name} created a repository`, [{ id: `{${rng.uuid()}}`, type: 'bitbucket-repositories', attributes: { name: `service-${rng.int(1, 99)}` } }]),
  },
];

export const ACTIONS_BY_KEY: ReadonlyMap<string, ActionDefinition> = new Map(ACTIONS.map((a) => [a.key, a]));

const TOTAL_WEIGHT = ACTIONS.reduce((sum, a) => sum + a.weight, 0);

export function pickAction(rng: Random): ActionDefinition {
  let roll = rng.next() * TOTAL_WEIGHT;
  for (const action of ACTIONS) {
    roll -= action.weight;
    if (roll < 0) return action;
  }
  return ACTIONS[ACTIONS.length - 1];
}
