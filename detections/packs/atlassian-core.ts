import type { DetectionPack } from '../rule';
import { passwordReset } from '../rules/accounts';
import { apiTokenCreated, apiTokenRevoked, organizationApiKeyCreated } from '../rules/api-tokens';
import { marketplaceAppInstalled } from '../rules/apps';
import { verifiedDomainRemoved } from '../rules/domains';
import { dataExport } from '../rules/exports';
import { externalInvitation } from '../rules/invitations';
import { failedLoginBurst, loginFromNewCountry } from '../rules/logins';
import { authenticationPolicyChanged, dataSecurityPolicyChanged, ipAllowlistChanged, securityPolicyChanged } from '../rules/policies';
import { adminAccessGranted, adminGroupMemberAdded, adminImpersonation, twoStepDisabled } from '../rules/privileged-access';
import { productAccessGrantBurst } from '../rules/product-access';

export const atlassianCorePack: DetectionPack = {
  id: 'atlassian-core',
  title: 'Atlassian organization: risky admin activity',
  description:
    'Impersonation, admin grants, two-step verification, API tokens and keys, policy and IP allowlist changes, domains, password resets, apps, invitations, ' +
    'product-access bursts, data exports, login anomalies.',
  rules: [
    adminImpersonation,
    twoStepDisabled,
    adminAccessGranted,
    adminGroupMemberAdded,
    apiTokenCreated,
    apiTokenRevoked,
    organizationApiKeyCreated,
    authenticationPolicyChanged,
    securityPolicyChanged,
    ipAllowlistChanged,
    dataSecurityPolicyChanged,
    verifiedDomainRemoved,
    passwordReset,
    marketplaceAppInstalled,
    productAccessGrantBurst,
    dataExport,
    failedLoginBurst,
    loginFromNewCountry,
    externalInvitation,
  ],
};
