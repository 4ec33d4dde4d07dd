import { attribute, describeActor, entriesOfType, type DetectionEvent } from '../event-view';
import type { EventRule } from '../rule';
import { WEEK_SECONDS } from '../rule';

function appOf(event: DetectionEvent): { id: string | null; name: string | null } {
  const [app] = entriesOfType(event.context, 'apps');
  return { id: app?.id ?? null, name: app ? attribute(app, 'name') : null };
}

export const marketplaceAppInstalled: EventRule = {
  kind: 'event',
  id: 'marketplace-app-installed',
  title: 'Marketplace app installed',
  severity: 'medium',
  description: 'A third-party app was installed: it gains access to product data under the scopes it asked for.',
  actions: ['marketplace_app_installed'],
  match: () => true,
  dedupSeconds: 24 * 3600,
  // Longer than the dedup period, or grouping would gather nothing: an app reinstalled within the week is one case.
  groupSeconds: WEEK_SECONDS,
  key: (event) => appOf(event).id ?? appOf(event).name ?? event.actor.id,
  alertTitle: (event) => `App ${appOf(event).name ?? appOf(event).id ?? '(unnamed)'} installed by ${describeActor(event.actor)}`,
};
