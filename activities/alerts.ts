import type { Database } from '../store/database';
import { createAlertAnnouncer } from '../alerts/announce';
import { createAlertDelivery } from '../alerts/delivery';
import { createKeyExpiryActivities } from './key-expiry';
import { createSilenceActivities } from './silence';
import { createSourceHealthActivities } from './source-health';

/** The alerting activities: the watchdog's, the source workflow's, the dispatcher's. */
export function createAlertActivities(db: Database) {
  return {
    ...createSilenceActivities(db),
    ...createSourceHealthActivities(db),
    ...createKeyExpiryActivities(db),
    deliverPendingAlerts: createAlertDelivery(db),
    announceAlertChanges: createAlertAnnouncer(db),
  };
}
