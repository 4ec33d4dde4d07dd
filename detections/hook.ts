import { openAlerts } from '../activities/alerts/alert-store';
import type { InsertedEventsHook } from '../activities/ingest-page';
import { createDetectionHook } from './engine';

/** The hook workers hand to the ingest activity: the shipped packs, alerts through the alert path. */
export function detectionHook(): InsertedEventsHook {
  return createDetectionHook({ openAlerts });
}
