import type { Database } from './database';

/** What a running source's workflow owns: it validates a change, stores it here, then applies it. */
export interface SourceSettingsChange {
  pollIntervalSeconds?: number;
  silenceWindowSeconds?: number;
  silenceAlertEnabled?: boolean;
}

/**
 * The one writer of a source's settings, for the workflow's settings activity only (activities/source-state.ts): a
 * dependency-cruiser rule keeps every other file from importing it, so that the CLI cannot store a setting that the
 * running workflow does not hold. A setting left undefined keeps its stored value.
 */
export async function writeSourceSettings(db: Database, id: string, change: SourceSettingsChange): Promise<void> {
  await db.query(
    `UPDATE sources SET poll_interval_seconds = COALESCE($2, poll_interval_seconds),
                        silence_window_seconds = COALESCE($3, silence_window_seconds),
                        silence_alert_enabled = COALESCE($4, silence_alert_enabled),
                        updated_at = now()
      WHERE id = $1`,
    [id, change.pollIntervalSeconds ?? null, change.silenceWindowSeconds ?? null, change.silenceAlertEnabled ?? null],
  );
}
