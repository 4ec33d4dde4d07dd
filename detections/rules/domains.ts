import { attribute, describeActor, entriesOfType, type DetectionEvent } from '../event-view';
import type { EventRule } from '../rule';

function domainName(event: DetectionEvent): string | null {
  const [domain] = [...entriesOfType(event.context, 'domains'), ...entriesOfType(event.context, 'domain')];
  return domain ? (attribute(domain, 'name') ?? attribute(domain, 'domain') ?? domain.id) : null;
}

export const verifiedDomainRemoved: EventRule = {
  kind: 'event',
  id: 'verified-domain-removed',
  title: 'Verified domain removed',
  severity: 'high',
  description:
    "A verified domain was removed or lost its verification: the organization stops managing that domain's accounts, and they can leave its policies. " +
    'The action keys are not documented: the rule matches the domain families *domain*_removed, *domain*_deleted and *domain*_unverified.',
  actions: ['*domain*_removed', '*domain*_deleted', '*domain*_unverified'],
  match: () => true,
  dedupSeconds: 24 * 3600,
  // Per domain: removing it, and the follow-up events of the same removal, are one finding.
  key: (event) => domainName(event) ?? event.actor.id,
  alertTitle: (event) => `Domain ${domainName(event) ?? '(unnamed)'} removed from verification by ${describeActor(event.actor)}`,
};
