import type { DetectionPack } from '../rule';
import { apiTokenCreated, apiTokenRevoked } from '../rules/api-tokens';
import { marketplaceAppInstalled } from '../rules/apps';
import { externalInvitation } from '../rules/invitations';
import { failedLoginBurst, loginFromNewCountry } from '../rules/logins';
import { authenticationPolicyChanged, securityPolicyChanged } from '../rules/policies';
import { adminAccessGranted, adminGroupMemberAdded, adminImpersonation, twoStepDisabled } from '../rules/privileged-access';

export const atlassianCorePack: DetectionPack = {
  id: 'atlassian-core',
  title: 'Atlassian organization: risky admin activity',
  description: 'Impersonation, admin grants, two-step verification, API tokens, policy changes, apps, invitations, login anomalies.',
  rules: [
    adminImpersonation,
    twoStepDisabled,
    adminAccessGranted,
    adminGroupMemberAdded,
    apiTokenCreated,
    apiTokenRevoked,
    authenticationPolicyChanged,
    securityPolicyChanged,
    marketplaceAppInstalled,
    failedLoginBurst,
    loginFromNewCountry,
    externalInvitation,
  ],
};
