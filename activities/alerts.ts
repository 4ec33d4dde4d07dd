import type { Database } from '../store/database';
import { createAlertAnnouncer } from '../alerts/announce';
import { createAlertDelivery, type DeliveryOptions } from '../alerts/delivery';
import { resolveDueAlerts } from '../alerts/alert-lifecycle';
import { createKeyExpiryActivities } from './key-expiry';
import { createSilenceActivities } from './silence';
import { createSourceHealthActivities } from './source-health';

/** The alerting activities: the watchdog's, the source workflow's, the dispatcher's. */
export function createAlertActivities(db: Database, delivery: DeliveryOptions = {}) {
  return {
    ...createSilenceActivities(db),
    ...createSourceHealthActivities(db),
    ...createKeyExpiryActivities(db),
    deliverPendingAlerts: createAlertDelivery(db, delivery),
    announceAlertChanges: createAlertAnnouncer(db),
    resolveDueAlerts: () => resolveDueAlerts(db),
  };
}
