import { createAlertActivities } from './alerts';
import type { CredentialCipher } from './credentials';
import type { Database } from './db/database';
import { createIngestPage, InsertedEventsHook } from './ingest-page';
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
