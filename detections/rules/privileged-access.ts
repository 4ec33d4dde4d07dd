import { attribute, describeActor, entriesOfType, RelatedEntry, targetUser, type DetectionEvent } from '../event-view';
import type { EventRule } from '../rule';
import { WEEK_SECONDS } from '../rule';

const HOUR = 3600;
const ADMIN = /admin/i;

export const adminImpersonation: EventRule = {
  kind: 'event',
  id: 'admin-impersonation',
  title: 'Admin logged in as another user',
  severity: 'high',
  description: 'An administrator used "log in as user": everything done in that session is attributed to the other user.',
  actions: ['user_logged_in_as_user'],
  match: () => true,
  dedupSeconds: HOUR,
  // Per admin and impersonated user: a second victim is a new finding, a second session with the same one is not.
  key: (event) => `${event.actor.id}>${targetUser(event)?.id ?? '?'}`,
  // One alert per admin and week, whichever users they logged in as: the person to ask is the admin.
  subject: (event) => event.actor.id,
  groupSeconds: WEEK_SECONDS,
  alertTitle: (event) => `${describeActor(event.actor)} logged in as ${targetUser(event)?.label ?? 'another user'}`,
};

export const twoStepDisabled: EventRule = {
  kind: 'event',
  id: 'two-step-disabled',
  title: 'Two-step verification disabled for a user',
  severity: 'high',
  description: "An administrator turned off a user's two-step verification, leaving the account behind a password alone.",
  actions: ['twosv_disabled_for_user'],
  match: () => true,
  dedupSeconds: HOUR,
  key: (event) => targetUser(event)?.id ?? event.actor.id,
  // One alert per admin and week: an admin turning 2SV off for a team is one change to ask about, not one per user.
  subject: (event) => event.actor.id,
  groupSeconds: WEEK_SECONDS,
  alertTitle: (event) => `Two-step verification disabled for ${targetUser(event)?.label ?? 'a user'} by ${describeActor(event.actor)}`,
};

/** Role entries name the role under different attributes depending on the product. */
function adminRoleOf(event: DetectionEvent): string | null {
  const roles = event.context.filter((entry) => entry.type !== null && /role/i.test(entry.type));
  for (const entry of roles) {
    for (const name of ['role', 'roleName', 'name', 'displayName']) {
      const value = attribute(entry, name);
      if (value && ADMIN.test(value)) return value;
    }
    if (entry.id && ADMIN.test(entry.id)) return entry.id;
  }
  return null;
}

function groupOf(event: DetectionEvent): RelatedEntry | undefined {
  return entriesOfType(event.context, 'groups')[0];
}

const groupLabel = (group: RelatedEntry | undefined) => (group ? (attribute(group, 'name') ?? group.id ?? 'a group') : 'a group');

export const adminAccessGranted: EventRule = {
  kind: 'event',
  id: 'admin-access-granted',
  title: 'Organization or product admin access granted',
  severity: 'critical',
  description: 'A user was made an organization admin, a group was granted admin access, or a user was granted an admin role.',
  actions: ['added_org_admin', 'group_granted_admin_access', 'user_granted_role'],
  match: (event) => event.action !== 'user_granted_role' || adminRoleOf(event) !== null,
  dedupSeconds: HOUR,
  // Per grantee: the same user or group granted twice in a row is one finding.
  key: (event) => (event.action === 'group_granted_admin_access' ? `group:${groupOf(event)?.id ?? '?'}` : `user:${targetUser(event)?.id ?? '?'}`),
  // One alert per granting admin and day: the grants of one session of admin work belong together.
  subject: (event) => event.actor.id,
  groupSeconds: WEEK_SECONDS,
  alertTitle: (event) => {
    const by = describeActor(event.actor);
    const user = targetUser(event)?.label ?? 'a user';
    if (event.action === 'added_org_admin') return `${user} made an organization admin by ${by}`;
    if (event.action === 'group_granted_admin_access') return `Group ${groupLabel(groupOf(event))} granted admin access by ${by}`;
    return `${user} granted the ${adminRoleOf(event)} role by ${by}`;
  },
};

export const adminGroupMemberAdded: EventRule = {
  kind: 'event',
  id: 'admin-group-member-added',
  title: 'User added to an admin group',
  severity: 'high',
  description: 'A user joined a group whose name marks it as an administrators group, which usually carries admin rights.',
  actions: ['group_member_added'],
  match: (event) => {
    const group = groupOf(event);
    return group !== undefined && ADMIN.test(attribute(group, 'name') ?? '');
  },
  dedupSeconds: HOUR,
  key: (event) => `${targetUser(event)?.id ?? '?'}@${groupOf(event)?.id ?? '?'}`,
  // One alert per admin and week, like the grants above.
  subject: (event) => event.actor.id,
  groupSeconds: WEEK_SECONDS,
  alertTitle: (event) => `${targetUser(event)?.label ?? 'A user'} added to ${groupLabel(groupOf(event))} by ${describeActor(event.actor)}`,
};
