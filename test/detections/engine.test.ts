import type { PoolClient } from 'pg';
import type { InsertedEventsHook } from '../../store/events';
import type { EventRow } from '../../atlassian/normalize';
import type { SourceRecord } from '../../store/sources';
import type { Database } from '../../store/database';
import { insertEvents } from '../../store/events';
import { actionFilter } from '../../detections/action-filter';
import { createDetectionHook } from '../../detections/engine';
import { rescanStoredEvents } from '../../detections/rescan';
import { disablePack, enablePack } from '../../detections/store';
import { openTestDatabase } from '../../harness/sources';
import { detectionAlertsOf, detectionsOf, sourceWithPacks } from './detection-harness';
import { ADMIN, days, hookContext, ingestRows, minutes, row, USER, userEntry } from './sample-events';

const ago = (ms: number) => new Date(Date.now() - ms);
const impersonation = (time: Date, target = USER) => row({ action: 'user_logged_in_as_user', actor: ADMIN, context: [userEntry(target)], time });
const OTHER_USER = { id: '5b10ac8d82e05b22cc7d4ef6', name: 'Linus User', email: 'linus@acme.example.com' };

describe('detection engine on the ingest hook', () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());

  /** Runs the hook over freshly inserted rows and returns the statements it sent. */
  async function statementsOf(hook: InsertedEventsHook, source: SourceRecord, rows: EventRow[]): Promise<string[]> {
    const statements: string[] = [];
    await db.withTransaction(async (tx) => {
      await insertEvents(tx, source.id, source.name, rows);
      const context = await hookContext(tx, hook, source); // read by the page's checkpoint update, not the hook
      const counting = { query: (text: string, params?: unknown[]) => (statements.push(text), tx.query(text, params)) } as unknown as PoolClient;
      await hook.run(counting, source, rows, context);
    });
    return statements;
  }

  it('costs no statement when the source has no pack enabled', async () => {
    const source = await sourceWithPacks(db, []);
    expect(await statementsOf(createDetectionHook(), source, [impersonation(ago(1000))])).toHaveLength(0);
    expect(await detectionsOf(db, source.id)).toEqual([]);
  });

  it('costs one statement per page with candidates when packs are enabled, and two more when something fires', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    expect(await statementsOf(hook, source, [row({ action: 'user_login_failed', time: ago(5000), location: { ip: '198.18.2.1' } })])).toHaveLength(1);
    expect(await statementsOf(hook, source, [row({ action: 'jira_issue_viewed', time: ago(4000) })])).toHaveLength(0);
    // The facts, the lock of the open alerts the detections may join, the detections with their alerts.
    expect(await statementsOf(hook, source, [impersonation(ago(3000))])).toHaveLength(3);
    expect((await detectionsOf(db, source.id)).map((d) => d.rule_id)).toEqual(['admin-impersonation']);
  });

  it('raises a detection once even when handed the same rows again', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    const rows = [impersonation(ago(1000))];
    await ingestRows(db, source, rows, hook);
    await db.withTransaction(async (tx) => hook.run(tx, source, rows, await hookContext(tx, hook, source)));
    const alerts = await detectionAlertsOf(db, source.id);
    expect(alerts).toHaveLength(1);
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ rule_id: 'admin-impersonation', event_id: rows[0].eventId, alert_id: alerts[0].id })]);
    expect(alerts[0]).toMatchObject({
      sourceId: source.id,
      kind: 'detection',
      severity: 'high',
      title: 'Ada Admin logged in as Grace User',
      details: { ruleId: 'admin-impersonation', severity: 'high', eventIds: [rows[0].eventId], actor: { id: ADMIN.id, name: ADMIN.name, email: ADMIN.email }, ip: '203.0.113.10' },
    });
  });

  it('leaves nothing behind when the page transaction rolls back', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    await expect(
      db.withTransaction(async (tx) => {
        const rows = [impersonation(ago(1000))];
        await insertEvents(tx, source.id, source.name, rows);
        await hook.run(tx, source, rows, await hookContext(tx, hook, source));
        throw new Error('the checkpoint moved during this attempt');
      }),
    ).rejects.toThrow('checkpoint moved');
    expect(await detectionsOf(db, source.id)).toEqual([]);
  });

  it('deduplicates per rule and key within the dedup period, by event time', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    const first = impersonation(ago(minutes(200)));
    await ingestRows(db, source, [first], hook);
    await ingestRows(db, source, [impersonation(ago(minutes(170)))], hook); // same admin and user, 30 min later
    const otherVictim = impersonation(ago(minutes(165)), OTHER_USER);
    await ingestRows(db, source, [otherVictim], hook);
    const later = impersonation(ago(minutes(60))); // past the one-hour period
    await ingestRows(db, source, [later], hook);
    // A late event 20 minutes before the first one falls in its period too.
    await ingestRows(db, source, [impersonation(ago(minutes(220)))], hook);
    expect((await detectionsOf(db, source.id)).map((d) => d.event_id)).toEqual([first.eventId, otherVictim.eventId, later.eventId]);
  });

  it('deduplicates within one page as across pages', async () => {
    const source = await sourceWithPacks(db);
    const rows = [impersonation(ago(minutes(50))), impersonation(ago(minutes(40))), impersonation(ago(minutes(45)), OTHER_USER)];
    await ingestRows(db, source, rows, createDetectionHook());
    expect((await detectionsOf(db, source.id)).map((d) => d.event_id)).toEqual([rows[0].eventId, rows[2].eventId]);
    // One admin, so one alert (the rule groups per acting admin), opened by the first detection; both detections join it.
    const alerts = await detectionAlertsOf(db, source.id);
    expect(alerts.map((a) => a.details.eventIds)).toEqual([[rows[0].eventId]]);
    expect((await detectionsOf(db, source.id)).map((d) => d.alert_id)).toEqual([alerts[0].id, alerts[0].id]);
  });

  it('evaluates only enabled packs, and ignores pack ids the registry no longer has', async () => {
    const source = await sourceWithPacks(db, ['retired-pack']);
    const hook = createDetectionHook();
    await ingestRows(db, source, [impersonation(ago(5000))], hook);
    await enablePack(db, source.id, 'atlassian-core');
    const enabled = impersonation(ago(4000), OTHER_USER);
    await ingestRows(db, source, [enabled], hook);
    await disablePack(db, source.id, 'atlassian-core');
    await ingestRows(db, source, [impersonation(ago(3000), { ...OTHER_USER, id: 'third-user' })], hook);
    expect((await detectionsOf(db, source.id)).map((d) => d.event_id)).toEqual([enabled.eventId]);
  });

  it('escapes action keys in SQL patterns: an underscore matches only an underscore', async () => {
    const { likePatterns } = actionFilter(['user_login_failed', '*_policy_update']);
    const { rows } = await db.query<{ action: string }>(
      `SELECT a AS action FROM unnest($1::text[]) AS a WHERE a LIKE ANY($2::text[]) ORDER BY a`,
      [['user_login_failed', 'userXloginXfailed', 'data_classification_policy_update', 'dataXpolicyXupdate'], likePatterns],
    );
    expect(rows.map((r) => r.action)).toEqual(['data_classification_policy_update', 'user_login_failed']);
  });
});

describe('rescan of stored events', () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());

  it('evaluates the stored events of the last N days once, however often it runs', async () => {
    const source = await sourceWithPacks(db, []);
    const noPacks = createDetectionHook();
    const old = impersonation(ago(days(3)));
    const recent = impersonation(ago(days(1)), OTHER_USER);
    const burst = [0, 1, 2, 3, 4].map((i) => row({ action: 'user_login_failed', time: ago(minutes(30) - i * 1000), location: { ip: '198.18.1.1' } }));
    await ingestRows(db, source, [old, recent, ...burst, row({ action: 'jira_issue_viewed', time: ago(1000) })], noPacks);
    expect(await detectionsOf(db, source.id)).toEqual([]);

    await enablePack(db, source.id, 'atlassian-core');
    const first = await rescanStoredEvents(db, source, ['atlassian-core'], 2, { batchSize: 2 });
    expect(first).toEqual({ eventsEvaluated: 6, detections: 2, alertsOpened: 2 });
    expect((await detectionsOf(db, source.id)).map((d) => d.rule_id)).toEqual(['admin-impersonation', 'failed-login-burst']);

    const again = await rescanStoredEvents(db, source, ['atlassian-core'], 5);
    // The older impersonation by the same admin joins the open alert the recent one opened.
    expect(again).toEqual({ eventsEvaluated: 7, detections: 1, alertsOpened: 0 });
    expect((await detectionsOf(db, source.id)).map((d) => d.event_id)).toEqual([old.eventId, recent.eventId, burst[4].eventId]);
    // The two impersonations by one admin, two days apart, share an alert: the rule groups per admin and week.
    expect(await detectionAlertsOf(db, source.id)).toHaveLength(2);
  });
});
