import type { Database } from '../../store/database';
import { createDetectionHook } from '../../detections/engine';
import { FAILED_LOGIN_THRESHOLD, FAILED_LOGIN_WINDOW_SECONDS } from '../../detections/rules/logins';
import { openTestDatabase } from '../../harness/sources';
import { detectionAlertsOf, detectionsOf, sourceWithPacks } from './detection-harness';
import { ingestRows, row, USER } from './sample-events';

const WINDOW_MS = FAILED_LOGIN_WINDOW_SECONDS * 1000;
const T0 = new Date(Date.now() - 3600_000);
const at = (offsetMs: number) => new Date(T0.getTime() + offsetMs);
const failedLogin = (time: Date, ip = '198.18.0.7', id?: string) =>
  row({ id, action: 'user_login_failed', actor: { id: USER.id }, time, location: { ip, countryName: 'Australia' } });

describe('failed-login-burst (threshold over stored events)', () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());

  it(`fires on the ${FAILED_LOGIN_THRESHOLD}th failed login from one IP inside the window, citing the window's events`, async () => {
    const source = await sourceWithPacks(db);
    const rows = [0, 1, 2, 3, 4].map((i) => failedLogin(at(i * (WINDOW_MS / 5))));
    await ingestRows(db, source, rows, createDetectionHook());
    const detections = await detectionsOf(db, source.id);
    expect(detections).toEqual([expect.objectContaining({ rule_id: 'failed-login-burst', event_id: rows[4].eventId, dedup_key: '198.18.0.7' })]);
    expect(detections[0].event_ids).toEqual(rows.map((r) => r.eventId));
    expect(await detectionAlertsOf(db, source.id)).toHaveLength(1);
    expect((await detectionAlertsOf(db, source.id))[0]).toMatchObject({ kind: 'detection', severity: 'high', details: { ruleId: 'failed-login-burst', ip: '198.18.0.7', count: 5 } });
  });

  it('does not count an event exactly one window old, and fires once the window holds enough again', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    // The first and the fifth lie exactly one window apart: the window (t − 10 min, t] of the fifth holds only four.
    const edge = [0, 1, 2, 3].map((i) => failedLogin(at((i * WINDOW_MS) / 4))).concat(failedLogin(at(WINDOW_MS)));
    await ingestRows(db, source, edge, hook);
    expect(await detectionsOf(db, source.id)).toEqual([]);

    const oneMore = failedLogin(at(WINDOW_MS + 1000));
    await ingestRows(db, source, [oneMore], hook);
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ event_id: oneMore.eventId })]);
  });

  it('counts across pages: the stored events of earlier pages are in the window', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    await ingestRows(db, source, [0, 1, 2].map((i) => failedLogin(at(i * 1000))), hook);
    expect(await detectionsOf(db, source.id)).toEqual([]);
    const last = failedLogin(at(4000));
    await ingestRows(db, source, [failedLogin(at(3000)), last], hook);
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ event_id: last.eventId })]);
  });

  it('counts per IP, and only failed logins', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    const spread = [0, 1, 2, 3, 4].map((i) => failedLogin(at(i * 1000), `198.18.0.${10 + i}`));
    const others = [0, 1, 2, 3].map((i) => row({ action: 'user_login', time: at(i * 1000 + 500), location: { ip: '198.18.0.99' } }));
    await ingestRows(db, source, [...spread, ...others, ...[0, 1, 2, 3].map((i) => failedLogin(at(i * 1000), '198.18.0.99'))], hook);
    expect(await detectionsOf(db, source.id)).toEqual([]);
  });

  it('raises one detection per IP within the dedup period, however long the burst', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    await ingestRows(db, source, Array.from({ length: 12 }, (_, i) => failedLogin(at(i * 1000))), hook);
    await ingestRows(db, source, Array.from({ length: 5 }, (_, i) => failedLogin(at(20_000 + i * 1000))), hook);
    expect(await detectionsOf(db, source.id)).toHaveLength(1);
    // Two hours later is past the one-hour dedup period: a new burst is a new detection, which joins the IP's open
    // alert (the rule's grouping period is a day).
    await ingestRows(db, source, Array.from({ length: 5 }, (_, i) => failedLogin(at(2 * 3600_000 + i * 1000))), hook);
    const detections = await detectionsOf(db, source.id);
    expect(detections).toHaveLength(2);
    const alerts = await detectionAlertsOf(db, source.id);
    expect(alerts).toHaveLength(1);
    expect(detections.map((d) => d.alert_id)).toEqual([alerts[0].id, alerts[0].id]);
  });

  it('ignores failed logins without an IP address', async () => {
    const source = await sourceWithPacks(db);
    const rows = [0, 1, 2, 3, 4, 5].map((i) => row({ action: 'user_login_failed', time: at(i * 1000), location: { geo: 'Australia' } }));
    await ingestRows(db, source, rows, createDetectionHook());
    expect(await detectionsOf(db, source.id)).toEqual([]);
  });
});
