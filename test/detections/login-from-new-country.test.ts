import type { Database } from '../../store/database';
import { createDetectionHook } from '../../detections/engine';
import { countryOf } from '../../detections/event-view';
import { openTestDatabase } from '../../harness/sources';
import { detectionAlertsOf, detectionsOf, sourceWithPacks } from './detection-harness';
import { days, ingestRows, row, USER } from './sample-events';

const ago = (ms: number) => new Date(Date.now() - ms);
const login = (country: string, time: Date) => row({ action: 'user_login', actor: USER, time, location: { ip: '203.0.113.5', countryName: country } });

describe('login-from-new-country (novelty over stored events)', () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());

  it('fires on a login from a country no event of the source came from in 30 days, once per country', async () => {
    // Created now with a 7-day backfill: its history reaches back far enough for events of the last 4 days.
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    // The baseline: any action counts as "seen"; a non-login is never itself a finding.
    await ingestRows(db, source, [row({ action: 'jira_issue_viewed', time: ago(days(2)), location: { geo: 'Sydney, New South Wales, Australia' } })], hook);
    await ingestRows(db, source, [login('Australia', ago(3600_000))], hook);
    expect(await detectionsOf(db, source.id)).toEqual([]);

    const first = login('Iceland', ago(1800_000));
    await ingestRows(db, source, [first, login('Iceland', ago(1700_000))], hook);
    await ingestRows(db, source, [login('Iceland', ago(600_000))], hook);
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ rule_id: 'login-from-new-country', event_id: first.eventId, dedup_key: 'Iceland' })]);
    expect((await detectionAlertsOf(db, source.id))[0]).toMatchObject({ severity: 'medium', details: { country: 'Iceland', eventIds: [first.eventId] } });
  });

  it('treats a country last seen before the lookback as new', async () => {
    const source = await sourceWithPacks(db);
    const hook = createDetectionHook();
    await ingestRows(db, source, [row({ action: 'user_logout', time: ago(days(31)), location: { countryName: 'Brazil' } })], hook);
    const now = login('Brazil', ago(60_000));
    await ingestRows(db, source, [now], hook);
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ event_id: now.eventId })]);
  });

  it('stays silent while the source has less history than the learning period before the login', async () => {
    const source = await sourceWithPacks(db);
    // Backfill reaches 7 days back, the learning period is 3 days: a login 5 days ago has only 2 days before it.
    await ingestRows(db, source, [login('Peru', ago(days(5)))], createDetectionHook());
    expect(await detectionsOf(db, source.id)).toEqual([]);
  });

  it('ignores logins without a country', async () => {
    const source = await sourceWithPacks(db);
    const rows = [row({ action: 'user_login', time: ago(1000), location: { ip: '203.0.113.9', countryName: '', geo: '' } }), row({ action: 'user_login', time: ago(500), location: null })];
    await ingestRows(db, source, rows, createDetectionHook());
    expect(await detectionsOf(db, source.id)).toEqual([]);
  });

  it('reads the country the same way in SQL and in JavaScript', async () => {
    const locations = [
      { countryName: 'Netherlands', geo: 'Amsterdam, North Holland, Netherlands' },
      { geo: 'Amsterdam, North Holland, Netherlands' },
      { geo: 'Poland' },
      { countryName: '  ', geo: 'Gdansk, Pomerania, Poland ' },
      { ip: '203.0.113.1', geo: '', countryName: '', city: '' },
      { ip: '203.0.113.1' },
      {},
    ];
    for (const location of locations) {
      const { rows } = await db.query<{ country: string | null }>('SELECT detection_country($1::jsonb) AS country', [JSON.stringify(location)]);
      expect({ location, country: rows[0].country }).toEqual({ location, country: countryOf(location) });
    }
  });
});
