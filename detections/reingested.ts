import type { PoolClient } from 'pg';
import type { EventRow } from '../atlassian/normalize';
import { evaluateEvents, type DetectionSource } from './engine';
import { detectionPacks, rulesOfPacks } from './registry';
import { DETECTION_CONFIG_SQL, parseDetectionConfig } from './store';

/**
 * Runs the source's enabled packs over one event that `quarantine reingest` has just stored, in its transaction, and
 * returns how many alerts it opened. The insert has locked the source's checkpoint row, which serialises this with the
 * source's pages as the page's own hook is (engine.ts).
 */
export async function detectInReingested(tx: PoolClient, source: DetectionSource, row: EventRow): Promise<number> {
  const { rows } = await tx.query<{ config: string }>(`SELECT ${DETECTION_CONFIG_SQL} AS config`, [source.id]);
  const config = parseDetectionConfig(rows[0].config);
  if (config.packIds.length === 0) return 0;
  const { alertsOpened } = await evaluateEvents(tx, source, [row], rulesOfPacks(config.packIds, detectionPacks()), config.settings, { newEvents: true });
  return alertsOpened;
}
