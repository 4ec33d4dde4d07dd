import { randomUUID } from 'node:crypto';
import { ApiPacer } from '../../store/api-pacing';
import type { Database } from '../../store/database';
import { eventually, openTestDatabase } from '../../harness/sources';

const MAX_WAIT_MS = 30_000;

describe("an organization's shared request pace", () => {
  let db: Database;
  let otherWorkersDb: Database;
  beforeAll(() => {
    db = openTestDatabase();
    otherWorkersDb = openTestDatabase();
  });
  afterAll(async () => {
    await db.close();
    await otherWorkersDb.close();
  });

  const near = (value: number, expected: number) => {
    expect(value).toBeGreaterThan(expected - 750);
    expect(value).toBeLessThan(expected + 750);
  };

  it('spreads what remains of a window over the rest of it, for every worker', async () => {
    const org = `pacing-${randomUUID()}`;
    const pacer = new ApiPacer(db);
    const otherWorker = new ApiPacer(otherWorkersDb);
    expect(await pacer.takeSlot(org, MAX_WAIT_MS)).toMatchObject({ waitMs: 0, taken: true });
    // 4 requests left for the next 8 s: one every 2 s.
    await pacer.observe(org, { remaining: 4, resetsAtMs: Date.now() + 8_000 });
    near((await pacer.takeSlot(org, MAX_WAIT_MS)).waitMs, 0);
    near((await otherWorker.takeSlot(org, MAX_WAIT_MS)).waitMs, 2_000);
    near((await pacer.takeSlot(org, MAX_WAIT_MS)).waitMs, 4_000);
    // Another organization has a pace of its own.
    expect(await pacer.takeSlot(`pacing-${randomUUID()}`, MAX_WAIT_MS)).toMatchObject({ waitMs: 0, taken: true });
  });

  it('forgets the spacing of a window once it has reset', async () => {
    const org = `pacing-${randomUUID()}`;
    const pacer = new ApiPacer(db);
    await pacer.takeSlot(org, MAX_WAIT_MS);
    // 1 request left for 1 s: a second one would wait the second out, but only within that window.
    await pacer.observe(org, { remaining: 1, resetsAtMs: Date.now() + 1_000 });
    await eventually(
      () => db.query<{ over: boolean }>('SELECT now() >= spacing_until AS over FROM api_pacing WHERE budget = $1', [org]),
      ({ rows }) => rows[0].over,
      5_000,
      50,
    );
    near((await pacer.takeSlot(org, MAX_WAIT_MS)).waitMs, 0);
    near((await pacer.takeSlot(org, MAX_WAIT_MS)).waitMs, 0);
  });

  it('waits for the reset when nothing remains, and past the wait a 429 asked for; a slot too far is not taken', async () => {
    const org = `pacing-${randomUUID()}`;
    const pacer = new ApiPacer(db);
    await pacer.takeSlot(org, MAX_WAIT_MS);
    await pacer.observe(org, { remaining: 0, resetsAtMs: Date.now() + 20_000 });
    const tooFar = await pacer.takeSlot(org, 5_000);
    expect(tooFar.taken).toBe(false);
    near(tooFar.waitMs, 20_000);
    // Not taking it pushed nothing back.
    const taken = await pacer.takeSlot(org, MAX_WAIT_MS);
    expect(taken.taken).toBe(true);
    near(taken.waitMs, 20_000);

    await pacer.rateLimited(org, 45_000);
    const afterLimit = await pacer.takeSlot(org, MAX_WAIT_MS);
    expect(afterLimit.taken).toBe(false);
    near(afterLimit.waitMs, 45_000);
  });

  it('once the limiter is seen to refill, waits for the next request to come back when nothing remains, not for the reset', async () => {
    const org = `pacing-${randomUUID()}`;
    const pacer = new ApiPacer(db);
    await pacer.takeSlot(org, MAX_WAIT_MS);
    // Ten requests over ten seconds left Remaining where it was: about one a second comes back.
    const t = Date.now() - 10_000;
    for (let i = 0; i < 10; i++) await pacer.observe(org, { remaining: 1, resetsAtMs: t + 60_000 }, i + 1, t + i * 1_000);
    await pacer.observe(org, { remaining: 0, resetsAtMs: t + 60_000 }, 11, t + 10_000);
    near((await pacer.takeSlot(org, MAX_WAIT_MS)).waitMs, 1_000);

    // The same answers with Remaining falling by each request: a fixed window, which only the reset refills.
    const fixed = `pacing-${randomUUID()}`;
    await pacer.takeSlot(fixed, MAX_WAIT_MS);
    for (let i = 0; i <= 10; i++) await pacer.observe(fixed, { remaining: 10 - i, resetsAtMs: t + 60_000 }, i + 1, t + i * 1_000);
    near((await pacer.takeSlot(fixed, MAX_WAIT_MS)).waitMs, 50_000);
  });

  it('heals a pace that an older release poisoned with a reset centuries away', async () => {
    const org = `pacing-${randomUUID()}`;
    const pacer = new ApiPacer(db);
    // What `X-RateLimit-Reset: 3600` read as the year 3600 left behind.
    await db.query(
      `INSERT INTO api_pacing (budget, next_request_at, spacing, spacing_until)
       VALUES ($1, '3600-01-01T00:00:00Z', interval '1000 years', '3600-01-01T00:00:00Z')`,
      [org],
    );
    near((await pacer.takeSlot(org, MAX_WAIT_MS)).waitMs, 0);
    near((await pacer.takeSlot(org, MAX_WAIT_MS)).waitMs, 0);
  });

  it('never writes a slot more than an hour ahead, whatever it is told', async () => {
    const org = `pacing-${randomUUID()}`;
    const pacer = new ApiPacer(db);
    await pacer.takeSlot(org, MAX_WAIT_MS);
    await pacer.observe(org, { remaining: 0, resetsAtMs: Date.UTC(3600, 0, 1) });
    near((await pacer.takeSlot(org, 5_000)).waitMs, 3_600_000);
    await pacer.rateLimited(org, 1e15);
    near((await pacer.takeSlot(org, 5_000)).waitMs, 3_600_000);
    const { rows } = await db.query<{ ahead_s: number }>('SELECT extract(epoch FROM greatest(next_request_at, spacing_until) - now())::float8 AS ahead_s FROM api_pacing WHERE budget = $1', [org]);
    expect(rows[0].ahead_s).toBeLessThanOrEqual(3_600);
  });
});
