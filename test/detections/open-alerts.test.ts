import type { Database } from '../../store/database';
import { openAlert, openAlerts, type AlertToOpen } from '../../alerts/alert-store';
import { openTestDatabase } from '../harness/sources';
import { sourceWithPacks } from './detection-harness';

// openAlerts was added to the alert store for detections; it must behave as openAlert called once per alert.

const alert = (sourceId: string, dedupKey: string): AlertToOpen => ({
  sourceId,
  kind: 'detection',
  dedupKey,
  severity: 'high',
  title: `finding ${dedupKey}`,
  message: 'm',
  details: { key: dedupKey },
});

describe('openAlerts, openAlert in bulk', () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());

  it('opens each new key once, in input order, finds already open ones, and queues deliveries for those it opened', async () => {
    const source = await sourceWithPacks(db, []);
    await db.query(`INSERT INTO alert_destinations (source_id, format, url) VALUES ($1, 'webhook', 'http://127.0.0.1:9/hook')`, [source.id]);
    const existing = await openAlert(db.pool, alert(source.id, 'old'));
    const results = await db.withTransaction((tx) => openAlerts(tx, [alert(source.id, 'a'), alert(source.id, 'old'), alert(source.id, 'b'), alert(source.id, 'a')]));
    expect(results.map((r) => r.opened)).toEqual([true, false, true, false]);
    expect(results[1].alertId).toBe(existing.alertId);
    expect(results[3].alertId).toBe(results[0].alertId);

    const { rows } = await db.query<{ dedup_key: string; details: unknown; deliveries: number }>(
      `SELECT a.dedup_key, a.details, (SELECT count(*)::int FROM alert_deliveries d WHERE d.alert_id = a.id) AS deliveries
         FROM alerts a WHERE a.source_id = $1 ORDER BY a.id`,
      [source.id],
    );
    expect(rows).toEqual([
      { dedup_key: 'old', details: { key: 'old' }, deliveries: 1 },
      { dedup_key: 'a', details: { key: 'a' }, deliveries: 1 },
      { dedup_key: 'b', details: { key: 'b' }, deliveries: 1 },
    ]);
    expect(await openAlerts(db.pool, [])).toEqual([]);
  });
});
