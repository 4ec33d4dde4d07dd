import { createAlertActivities } from './alerts';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { createIngestPage } from './ingest-page';
import type { InsertedEventsHook } from '../store/events';
import { createSourceStateActivities } from './source-state';

export interface ActivityDependencies {
  db: Database;
  cipher: CredentialCipher;
  onEventsInserted?: InsertedEventsHook;
}

/** Every activity the workers register, closed over their dependencies (the Temporal samples' factory pattern). */
export function createActivities(deps: ActivityDependencies) {
  return {
    ingestPage: createIngestPage(deps),
    ...createSourceStateActivities(deps.db),
    ...createAlertActivities(deps.db),
  };
}

/** What workflows proxy: the one declaration of the activities' types. */
export type Activities = ReturnType<typeof createActivities>;
