import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database';
import type { SourceRecord } from '../../store/sources';
import { enablePack, saveDetectionSettings } from '../../detections/store';
import type { DetectionAlert } from '../../detections/alert';
import type { DetectionSettings } from '../../detections/rule';
import { createTestSource } from '../../harness/sources';

/** A source no workflow polls (its API is unreachable): tests feed it pages themselves. */
export async function sourceWithPacks(db: Database, packIds: string[] = ['atlassian-core'], settings?: DetectionSettings): Promise<SourceRecord> {
  const source = await createTestSource(db, { organizationId: randomUUID(), apiKey: 'unused', apiBaseUrl: 'http://127.0.0.1:9' });
  for (const packId of packIds) await enablePack(db, source.id, packId);
  if (settings) await saveDetectionSettings(db, source.id, settings);
  return source;
}

export interface StoredDetection {
  rule_id: string;
  event_id: string;
  dedup_key: string;
  event_ids: string[];
  alert_id: string | null;
}

export async function detectionsOf(db: Database, sourceId: string): Promise<StoredDetection[]> {
  const { rows } = await db.query<StoredDetection>(
    'SELECT rule_id, event_id, dedup_key, event_ids, alert_id FROM detections WHERE source_id = $1 ORDER BY event_time, id',
    [sourceId],
  );
  return rows;
}

/** The detection alerts the alert path holds for the source, oldest first. */
export async function detectionAlertsOf(db: Database, sourceId: string): Promise<Array<DetectionAlert & { id: string }>> {
  const { rows } = await db.query<DetectionAlert & { id: string }>(
    `SELECT id, source_id AS "sourceId", kind, dedup_key AS "dedupKey", severity, title, message, details
       FROM alerts WHERE source_id = $1 AND kind = 'detection' ORDER BY id`,
    [sourceId],
  );
  return rows;
}
