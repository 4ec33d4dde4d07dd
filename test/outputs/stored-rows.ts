import type { Database } from '../../store/database';
import { insertEvents } from '../../store/events';
import type { SourceRecord } from '../../store/sources';
import { row } from '../detections/sample-events';

/** Stores `count` new events of the source (at `time`, now by default) in one transaction, through the one insert path; returns their ids. */
export async function storeEvents(db: Database, source: SourceRecord, count: number, time?: Date): Promise<string[]> {
  const rows = Array.from({ length: count }, () => row({ action: 'user_granted_role', time }));
  return db.withTransaction(async (tx) => (await insertEvents(tx, source.id, source.name, rows)).insertedIds);
}
