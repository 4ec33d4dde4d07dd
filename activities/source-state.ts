import type { CarriedState } from '../contract/source-workflow';
import type { Database } from '../store/database';
import { loadSourceOrFail } from './ingest-page';
import { loadCheckpoint } from '../store/checkpoints';
import { writeSourceSettings, type SourceSettingsChange } from '../store/source-settings';
import { SourceStatusValue, updateSourceStatus } from '../store/sources';

/**
 * The state a source workflow starts from when it has none to carry: its settings and the checkpoint's counters,
 * so that a terminated and restarted workflow resumes where PostgreSQL says it stood.
 */
export function createSourceStateActivities(db: Database) {
  return {
    async loadSourceState(sourceId: string): Promise<CarriedState> {
      const source = await loadSourceOrFail(db, sourceId);
      const checkpoint = await loadCheckpoint(db, sourceId);
      return {
        paused: source.status === 'paused',
        pauseReason: source.status === 'paused' ? source.statusReason ?? undefined : undefined,
        failureReason: source.status === 'failed' ? source.statusReason ?? 'the API rejected the source' : undefined,
        pollIntervalSeconds: source.pollIntervalSeconds,
        pollNowRequested: false,
        retryRequested: false,
        eventsIngested: checkpoint.eventsIngested,
        pagesFetched: checkpoint.pagesFetched,
        errors: 0,
        lastEventTime: checkpoint.newestEventTime?.toISOString() ?? null,
        backfillCompleted: checkpoint.backfillCompletedAt !== null,
        backfillPercent: checkpoint.backfillCompletedAt ? 100 : 0,
      };
    },

    /**
     * The only writer of a running source's settings: the workflow calls it from its update handlers, after
     * validating and before applying, so that a restarted workflow reads back what the running one used.
     */
    async saveSourceSettings({ sourceId, ...settings }: { sourceId: string } & SourceSettingsChange): Promise<void> {
      await writeSourceSettings(db, sourceId, settings);
    },

    async recordSourceStatus({ sourceId, status, reason }: { sourceId: string; status: SourceStatusValue; reason: string | null }): Promise<void> {
      await updateSourceStatus(db, sourceId, status, reason);
    },
  };
}
