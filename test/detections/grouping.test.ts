import type { Database } from '../../store/database';
import { createDetectionHook } from '../../detections/engine';
import { rescanStoredEvents } from '../../detections/rescan';
import { enablePack, saveDetectionSettings } from '../../detections/store';
import { resolveAlertsById } from '../../alerts/alert-store';
import { listAlerts } from '../../alerts/alert-queries';
import { setSourceDestination } from '../../alerts/destinations';
import { openTestDatabase, testCipher } from '../../harness/sources';
import { detectionsOf, sourceWithPacks } from './detection-harness';
import { insertEvents } from '../../store/events';
import { ADMIN, days, hookContext, ingestRows, minutes, row, USER, userEntry } from './sample-events';

const HOUR = minutes(60);
const NOW = Date.now();
const at = (ms: number) => new Date(NOW - ms);
const impersonation = (time: Date, target = USER, actor = ADMIN) => row({ action: 'user_logged_in_as_user', actor, context: [userEntry(target)], time });
const OTHER_USER = { id: '5b10ac8d82e05b22cc7d4ef6', name: 'Linus User', email: 'linus@acme.example.com' };
const OTHER_ADMIN = { id: '557058:aaaaaaaa-0000-4000-8000-000000000002', name: 'Bob Admin', email: 'bob@acme.example.com' };

interface GroupRow {
  id: string;
  status: string;
  detection_count: number;
  first_event_at: Date;
  last_event_at: Date;
}

async function groupsOf(db: Database, sourceId: string): Promise<GroupRow[]> {
  const { rows } = await db.query<GroupRow>(
    `SELECT id, status, detection_count, first_event_at, last_event_at FROM alerts WHERE source_id = $1 AND kind = 'detection' ORDER BY id`,
    [sourceId],
  );
  return rows;
}

describe('grouping of detections into alerts', () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());

  it('joins detections of one rule and subject within the period into one open alert, with its count and first and last time', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    // The rule's subject is the acting admin, though it deduplicates per admin and user: three detections of one
    // admin (the last with another user; the others two hours apart, past the one-hour dedup period) make one alert.
    const sameSubject = [impersonation(at(10 * HOUR)), impersonation(at(8 * HOUR)), impersonation(at(6 * HOUR), OTHER_USER)];
    await ingestRows(db, source, [sameSubject[0]], hook);
    await ingestRows(db, source, sameSubject.slice(1), hook);
    const otherSubject = impersonation(at(7 * HOUR), USER, OTHER_ADMIN);
    await ingestRows(db, source, [otherSubject], hook);

    const detections = await detectionsOf(db, source.id);
    expect(detections).toHaveLength(4);
    const groups = await groupsOf(db, source.id);
    expect(groups).toEqual([
      expect.objectContaining({ status: 'open', detection_count: 3, first_event_at: at(10 * HOUR), last_event_at: at(6 * HOUR) }),
      expect.objectContaining({ status: 'open', detection_count: 1, first_event_at: at(7 * HOUR), last_event_at: at(7 * HOUR) }),
    ]);
    expect(detections.filter((d) => d.alert_id === groups[0].id).map((d) => d.event_id)).toEqual(sameSubject.map((r) => r.eventId));

    // `alerts` (text and -o json) reads this view.
    const listed = (await listAlerts(db, { sourceId: source.id, recent: 10 })).find((a) => a.id === Number(groups[0].id))!;
    expect(listed.group).toEqual({
      detections: 3,
      firstEventAt: at(10 * HOUR).toISOString(),
      lastEventAt: at(6 * HOUR).toISOString(),
      detectionIds: expect.any(Array),
    });
    expect(listed.group!.detectionIds).toHaveLength(3);
  });

  it('queues one opened notice per alert, and one updated notice when its detections reach 2, 4, 8...', async () => {
    const source = await sourceWithPacks(db);
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', 'http://127.0.0.1:9/hook');
    const hook = createDetectionHook();
    // One detection a page, two hours apart: nine detections of one admin and user in a day.
    for (let hours = 20; hours >= 4; hours -= 2) await ingestRows(db, source, [impersonation(at(hours * HOUR))], hook);
    // Another subject: five at once open its alert (one opened notice), three more bring it to eight.
    await ingestRows(db, source, [20, 18, 16, 14, 12].map((hours) => impersonation(at(hours * HOUR), USER, OTHER_ADMIN)), hook);
    await ingestRows(db, source, [10, 8, 6].map((hours) => impersonation(at(hours * HOUR), USER, OTHER_ADMIN)), hook);

    const groups = await groupsOf(db, source.id);
    expect(groups.map((g) => g.detection_count)).toEqual([9, 8]);
    const notices = async (alertId: string) =>
      (await db.query<{ notice: string; at_count: number }>('SELECT notice, at_count FROM alert_deliveries WHERE alert_id = $1 ORDER BY id', [alertId])).rows;
    expect(await notices(groups[0].id)).toEqual([
      { notice: 'opened', at_count: 0 },
      { notice: 'updated', at_count: 2 },
      { notice: 'updated', at_count: 4 },
      { notice: 'updated', at_count: 8 },
    ]);
    expect(await notices(groups[1].id)).toEqual([
      { notice: 'opened', at_count: 0 },
      { notice: 'updated', at_count: 8 },
    ]);
  });

  it('opens a new alert once the period since the group began has passed', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    await ingestRows(db, source, [impersonation(at(days(8)))], hook);
    await ingestRows(db, source, [impersonation(at(days(8) - days(7) + HOUR))], hook); // inside the rule's week
    await ingestRows(db, source, [impersonation(at(days(8) - days(7) - HOUR))], hook); // past it
    expect((await groupsOf(db, source.id)).map((g) => g.detection_count)).toEqual([2, 1]);
  });

  it("uses the source's period for the rule in place of the rule's default", async () => {
    const source = await sourceWithPacks(db);
    await saveDetectionSettings(db, source.id, { groupPeriods: { 'admin-impersonation': 3 * 3600 } });
    const hook = createDetectionHook();
    await ingestRows(db, source, [impersonation(at(10 * HOUR)), impersonation(at(8 * HOUR)), impersonation(at(6 * HOUR))], hook);
    // 0 h and 2 h join; 4 h is past three hours from the first.
    expect((await groupsOf(db, source.id)).map((g) => g.detection_count)).toEqual([2, 1]);
  });

  it('closes the group when its alert is resolved: a later detection opens a new alert', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    await ingestRows(db, source, [impersonation(at(10 * HOUR))], hook);
    const [first] = await groupsOf(db, source.id);
    await resolveAlertsById(db.pool, [Number(first.id)], { message: 'expected support session', by: 'alice' });
    await ingestRows(db, source, [impersonation(at(8 * HOUR))], hook);
    const groups = await groupsOf(db, source.id);
    expect(groups).toEqual([
      expect.objectContaining({ id: first.id, status: 'resolved', detection_count: 1 }),
      expect.objectContaining({ status: 'open', detection_count: 1, first_event_at: at(8 * HOUR) }),
    ]);
  });

  it('tells the ingest path an alert opened only when one did, not when a detection joined an open alert', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    const run = (rows: ReturnType<typeof impersonation>[]) =>
      db.withTransaction(async (tx) => {
        await insertEvents(tx, source.id, source.name, rows);
        return hook.run(tx, source, rows, await hookContext(tx, hook, source));
      });
    expect(await run([impersonation(at(10 * HOUR))])).toMatchObject({ alertsOpened: 1, rulesFired: ['admin-impersonation'] });
    expect(await run([impersonation(at(8 * HOUR))])).toMatchObject({ alertsOpened: 0, rulesFired: ['admin-impersonation'] });
  });

  it('rescans into the same groups, and never re-alerts on what is already alerted', async () => {
    const source = await sourceWithPacks(db, []);
    const noPacks = createDetectionHook();
    const stored = [impersonation(at(10 * HOUR)), impersonation(at(8 * HOUR)), impersonation(at(6 * HOUR), USER, OTHER_ADMIN)];
    await ingestRows(db, source, stored, noPacks);
    await enablePack(db, source.id, 'atlassian-core');
    // Ingestion alerts on a newer event first; the rescan's older detections of the same subject join its alert.
    await ingestRows(db, source, [impersonation(at(4 * HOUR))], createDetectionHook());
    // Two of them join the admin's open alert; the other admin's opens one.
    expect(await rescanStoredEvents(db, source, ['atlassian-core'], 1, { batchSize: 1 })).toEqual({ eventsEvaluated: 4, detections: 3, alertsOpened: 1 });
    const groups = await groupsOf(db, source.id);
    expect(groups.map((g) => g.detection_count)).toEqual([3, 1]);
    expect(groups[0]).toMatchObject({ first_event_at: at(10 * HOUR), last_event_at: at(4 * HOUR) });
    expect(await rescanStoredEvents(db, source, ['atlassian-core'], 1)).toEqual({ eventsEvaluated: 4, detections: 0, alertsOpened: 0 });
    expect(await groupsOf(db, source.id)).toEqual(groups);
  });
});
