import { attribute, describeActor, entriesOfType, type DetectionEvent } from '../event-view';
import type { EventRule } from '../rule';

const HOUR = 3600;

function tokenLabel(event: DetectionEvent): string | null {
  const [token] = entriesOfType(event.context, 'api-tokens');
  return token ? attribute(token, 'tokenLabel') : null;
}

export const apiTokenCreated: EventRule = {
  kind: 'event',
  id: 'api-token-created',
  title: 'API token created',
  severity: 'medium',
  description: 'A user created an API token: a long-lived credential that bypasses SSO and two-step verification.',
  actions: ['api_token_created'],
  match: () => true,
  dedupSeconds: HOUR,
  key: (event) => event.actor.id,
  // Users create tokens every day: one alert a day lists them all (its detections name each creator).
  subject: () => 'organization',
  alertTitle: (event) => {
    const label = tokenLabel(event);
    return `${label ? `API token "${label}"` : 'An API token'} created by ${describeActor(event.actor)}`;
  },
};

export const apiTokenRevoked: EventRule = {
  kind: 'event',
  id: 'api-token-revoked',
  title: 'API token revoked',
  severity: 'low',
  description: 'An API token was revoked: expected after a rotation, worth a look when nobody planned one (integrations may break).',
  actions: ['api_token_revok*'],
  match: () => true,
  dedupSeconds: HOUR,
  key: (event) => event.actor.id,
  // Housekeeping: one note a day for the whole organization.
  subject: () => 'organization',
  alertTitle: (event) => `API token revoked by ${describeActor(event.actor)}`,
  // A revocation is usually housekeeping: the alert is a note for the day, not a case to close.
  autoResolveSeconds: 24 * HOUR,
};

export const organizationApiKeyCreated: EventRule = {
  kind: 'event',
  id: 'organization-api-key-created',
  title: 'Organization API key created',
  severity: 'high',
  description:
    "An organization (admin) API key was created: it reads and changes the whole organization's administration, this audit log included, without SSO. " +
    'The action key is not documented: the rule matches *api_key_created, which personal API tokens (api_token_created) do not.',
  actions: ['*api_key_created'],
  match: () => true,
  dedupSeconds: HOUR,
  key: (event) => event.actor.id,
  alertTitle: (event) => `Organization API key created by ${describeActor(event.actor)}`,
};
