import { createAlertActivities } from './alerts';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { betweenCycles } from './between-cycles';
import { createIngestPage } from './ingest-page';
import { inBatches } from './page-batch';
import type { InsertedEventsHook } from '../store/events';
import type { WebUiLinks } from '../alerts/notice-payload';
import { createSourceStateActivities } from './source-state';
import type { ProductMetrics } from '../observability/product-metrics';
import { createStoreMaintenanceActivities, type RetentionHold } from './store-maintenance';
import { createForwardOutput, createOutputStateActivities } from './forward-output';
import { createOutputWaker, wakeRoundOrSignal } from './wake-outputs';
import { RoundsInProcess } from './rounds-in-process';

export interface ActivityDependencies {
  db: Database;
  cipher: CredentialCipher;
  onEventsInserted?: InsertedEventsHook;
  /** Where Slack notices link to a source's workflow in the Web UI. */
  webUiLinks?: WebUiLinks;
  /** The worker's product metrics (observability/); without it the activities record nothing. */
  metrics?: ProductMetrics;
  /** Aborted when the worker begins to shut down: pages not yet started are handed back (see ingestPage), held output wakes dropped. */
  workerStopping?: AbortSignal;
  /** The largest API response body read (ATLASSIAN_MAX_RESPONSE_BYTES); the client's default when unset. */
  maxResponseBytes?: number;
  /** What keeps events past their retention besides a legal hold; the outputs' undelivered events when unset. */
  retentionHolds?: readonly RetentionHold[];
}

/** Every activity the workers register, closed over their dependencies (the Temporal samples' factory pattern). */
export function createActivities(deps: ActivityDependencies) {
  const rounds = new RoundsInProcess();
  return {
    ingestPage: inBatches(createIngestPage({ ...deps, wakeOutputs: createOutputWaker(deps.db, wakeRoundOrSignal(rounds), deps.workerStopping) }), deps.workerStopping),
    betweenCycles,
    forwardOutput: createForwardOutput(deps, rounds),
    ...createOutputStateActivities(deps.db),
    ...createSourceStateActivities(deps.db),
    ...createAlertActivities(deps.db, { cipher: deps.cipher, links: deps.webUiLinks }),
    ...createStoreMaintenanceActivities(deps.db, { holds: deps.retentionHolds }),
  };
}

/** What workflows proxy: the one declaration of the activities' types. */
export type Activities = ReturnType<typeof createActivities>;
