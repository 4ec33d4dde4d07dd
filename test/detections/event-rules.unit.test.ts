import { actionFilter } from '../../detections/action-filter';
import { atlassianCorePack } from '../../detections/packs/atlassian-core';
import { DEFAULT_DETECTION_SETTINGS, DetectionSettings, EventRule } from '../../detections/rule';
import { apiTokenCreated, apiTokenRevoked } from '../../detections/rules/api-tokens';
import { marketplaceAppInstalled } from '../../detections/rules/apps';
import { externalInvitation } from '../../detections/rules/invitations';
import { authenticationPolicyChanged, securityPolicyChanged } from '../../detections/rules/policies';
import { adminAccessGranted, adminGroupMemberAdded, adminImpersonation, twoStepDisabled } from '../../detections/rules/privileged-access';
import { ADMIN, SampleEvent, USER, userEntry, view } from './sample-events';

/** What the engine asks of an event rule: its actions select the event, then match accepts it. */
function fires(rule: EventRule, sample: SampleEvent, settings: DetectionSettings = DEFAULT_DETECTION_SETTINGS): boolean {
  return actionFilter(rule.actions).test(sample.action) && rule.match(view(sample), settings);
}

const orgContainer = [{ id: 'org-1', type: 'orgs', attributes: { name: 'Acme' } }];

describe('the atlassian-core pack', () => {
  it('has at least ten rules with unique ids, each with a dedup period', () => {
    const ids = atlassianCorePack.rules.map((rule) => rule.id);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of atlassianCorePack.rules) expect(rule.dedupSeconds).toBeGreaterThan(0);
  });
});

describe('admin-impersonation', () => {
  const sample = { action: 'user_logged_in_as_user', context: [userEntry(USER)] };
  it('fires when an admin logs in as a user, naming both', () => {
    expect(fires(adminImpersonation, sample)).toBe(true);
    expect(adminImpersonation.alertTitle(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('Ada Admin logged in as Grace User');
    expect(adminImpersonation.key(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe(`${ADMIN.id}>${USER.id}`);
  });
  it('ignores an ordinary login', () => {
    expect(fires(adminImpersonation, { action: 'user_login', actor: USER })).toBe(false);
  });
});

describe('two-step-disabled', () => {
  it('fires when two-step verification is disabled for a user, keyed by that user', () => {
    const sample = { action: 'twosv_disabled_for_user', context: [userEntry(USER)] };
    expect(fires(twoStepDisabled, sample)).toBe(true);
    expect(twoStepDisabled.key(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe(USER.id);
    expect(twoStepDisabled.alertTitle(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('Two-step verification disabled for Grace User by Ada Admin');
  });
  it('ignores two-step verification being enabled', () => {
    expect(fires(twoStepDisabled, { action: 'twosv_enabled_for_user', context: [userEntry(USER)] })).toBe(false);
  });
});

describe('admin-access-granted', () => {
  const role = (name: string) => ({ id: 'r1', type: 'roles', attributes: { role: name } });
  it('fires on a new organization admin', () => {
    const sample = { action: 'added_org_admin', context: [userEntry(USER)], container: orgContainer };
    expect(fires(adminAccessGranted, sample)).toBe(true);
    expect(adminAccessGranted.alertTitle(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('Grace User made an organization admin by Ada Admin');
  });
  it('fires on a group granted admin access, keyed by the group', () => {
    const sample = { action: 'group_granted_admin_access', context: [{ id: 'g1', type: 'groups', attributes: { name: 'contractors' } }] };
    expect(fires(adminAccessGranted, sample)).toBe(true);
    expect(adminAccessGranted.key(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('group:g1');
    expect(adminAccessGranted.alertTitle(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('Group contractors granted admin access by Ada Admin');
  });
  it('fires on an admin role granted, whatever the role attribute is called', () => {
    expect(fires(adminAccessGranted, { action: 'user_granted_role', context: [userEntry(USER), role('admin')] })).toBe(true);
    expect(fires(adminAccessGranted, { action: 'user_granted_role', context: [userEntry(USER), { id: 'x', type: 'product-roles', attributes: { roleName: 'Site Admin' } }] })).toBe(true);
  });
  it('ignores a non-admin role, a role revoked, and other actions', () => {
    expect(fires(adminAccessGranted, { action: 'user_granted_role', context: [userEntry(USER), role('user')] })).toBe(false);
    expect(fires(adminAccessGranted, { action: 'user_granted_role', context: [userEntry(USER)] })).toBe(false);
    expect(fires(adminAccessGranted, { action: 'user_revoked_role', context: [userEntry(USER), role('admin')] })).toBe(false);
  });
});

describe('admin-group-member-added', () => {
  const group = (name: string) => ({ id: `g-${name}`, type: 'groups', attributes: { name } });
  it('fires when a user joins a group named as an admin group', () => {
    const sample = { action: 'group_member_added', context: [userEntry(USER), group('site-admins')] };
    expect(fires(adminGroupMemberAdded, sample)).toBe(true);
    expect(adminGroupMemberAdded.alertTitle(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('Grace User added to site-admins by Ada Admin');
  });
  it('ignores other groups and removals', () => {
    expect(fires(adminGroupMemberAdded, { action: 'group_member_added', context: [userEntry(USER), group('engineering')] })).toBe(false);
    expect(fires(adminGroupMemberAdded, { action: 'group_member_removed', context: [userEntry(USER), group('site-admins')] })).toBe(false);
  });
});

describe('api-token-created', () => {
  const token = { id: 't1', type: 'api-tokens', attributes: { tokenLabel: 'ci' } };
  it('fires on a new API token, naming its label', () => {
    const sample = { action: 'api_token_created', actor: USER, context: [token] };
    expect(fires(apiTokenCreated, sample)).toBe(true);
    expect(apiTokenCreated.alertTitle(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('API token "ci" created by Grace User');
  });
  it('ignores a revoked token', () => {
    expect(fires(apiTokenCreated, { action: 'api_token_revoked', actor: USER, context: [token] })).toBe(false);
  });
});

describe('api-token-revoked', () => {
  it('fires on every api_token_revok* action', () => {
    expect(fires(apiTokenRevoked, { action: 'api_token_revoked', actor: USER })).toBe(true);
    expect(fires(apiTokenRevoked, { action: 'api_token_revoked_by_admin' })).toBe(true);
  });
  it('ignores a created token', () => {
    expect(fires(apiTokenRevoked, { action: 'api_token_created', actor: USER })).toBe(false);
  });
});

describe('authentication-policy-changed', () => {
  it('fires on an organization setting of the authentication policy, and on an authentication policy update', () => {
    const container = [{ id: 'p1', type: 'AuthenticationPolicy', attributes: { name: 'Default policy', setting: 'enforceTwoStep' } }, ...orgContainer];
    expect(fires(authenticationPolicyChanged, { action: 'org_settings_update', container })).toBe(true);
    expect(fires(authenticationPolicyChanged, { action: 'authentication_policy_update' })).toBe(true);
  });
  it('ignores other organization settings', () => {
    expect(fires(authenticationPolicyChanged, { action: 'org_settings_update', container: orgContainer })).toBe(false);
  });
});

describe('security-policy-changed', () => {
  it('fires on any other *_policy_update', () => {
    const sample = { action: 'data_classification_policy_update' };
    expect(fires(securityPolicyChanged, sample)).toBe(true);
    expect(securityPolicyChanged.alertTitle(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('Data classification policy changed by Ada Admin');
  });
  it('leaves authentication policy updates to their own rule, and ignores settings updates', () => {
    expect(fires(securityPolicyChanged, { action: 'authentication_policy_update' })).toBe(false);
    expect(fires(securityPolicyChanged, { action: 'org_settings_update' })).toBe(false);
  });
});

describe('marketplace-app-installed', () => {
  it('fires on an app install, keyed by the app', () => {
    const sample = { action: 'marketplace_app_installed', context: [{ id: 'app-1', type: 'apps', attributes: { name: 'Gliffy' } }] };
    expect(fires(marketplaceAppInstalled, sample)).toBe(true);
    expect(marketplaceAppInstalled.key(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('app-1');
    expect(marketplaceAppInstalled.alertTitle(view(sample), DEFAULT_DETECTION_SETTINGS)).toBe('App Gliffy installed by Ada Admin');
  });
  it('ignores other app actions', () => {
    expect(fires(marketplaceAppInstalled, { action: 'marketplace_app_uninstalled' })).toBe(false);
  });
});

describe('external-invitation', () => {
  const invite = (email: string, actor: Record<string, unknown> = ADMIN) => ({ action: 'user_invitation_sent', actor, context: [{ id: 'i1', type: 'invited-user', attributes: { email } }] });
  const allowed = { ...DEFAULT_DETECTION_SETTINGS, allowedInviteDomains: ['acme.example.com', 'partner.example.org'] };

  it('fires on an address outside the configured domains, keyed by its domain and titled by the address', () => {
    const sample = invite('mallory@Evil.example.net');
    expect(fires(externalInvitation, sample, allowed)).toBe(true);
    expect(externalInvitation.key(view(sample), allowed)).toBe('evil.example.net');
    expect(externalInvitation.alertTitle(view(sample), allowed)).toBe('Ada Admin invited mallory@Evil.example.net, outside the allowed domains');
  });
  it('accepts the configured domains and their subdomains, in any case', () => {
    expect(fires(externalInvitation, invite('bob@partner.example.org'), allowed)).toBe(false);
    expect(fires(externalInvitation, invite('bob@EU.Acme.Example.com'), allowed)).toBe(false);
    expect(fires(externalInvitation, invite('bob@notacme.example.com'), allowed)).toBe(true);
  });
  it("without configured domains, compares with the inviting admin's domain", () => {
    expect(fires(externalInvitation, invite('bob@acme.example.com'))).toBe(false);
    expect(fires(externalInvitation, invite('bob@elsewhere.example.net'))).toBe(true);
  });
  it('stays silent when it cannot know the allowed domains', () => {
    expect(fires(externalInvitation, invite('bob@elsewhere.example.net', { id: 'system', email: 'Atlassian app' }))).toBe(false);
  });
  it('reads invitees named as plain user entries too', () => {
    const sample = { action: 'user_invitation_sent', context: [userEntry({ ...USER, email: 'grace@outside.example.net' })] };
    expect(fires(externalInvitation, sample, allowed)).toBe(true);
  });
});
