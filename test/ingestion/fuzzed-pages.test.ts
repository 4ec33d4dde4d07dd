import { createHash, randomInt } from 'node:crypto';
import fc from 'fast-check';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';
import { createIngestPage } from '../../activities/ingest-page';
import { MAX_RATE_LIMIT_DELAY_MS } from '../../atlassian/retry-delay';
import { MAX_EVENT_ID_LENGTH, PROCESSED_AT_FUTURE_SKEW_MS } from '../../atlassian/storable';
import { storableText } from '../../atlassian/storable-text';
import { jsonText } from '../../atlassian/json-text';
import * as failureTypes from '../../contract/failure-types';
import type { PageSummary } from '../../contract/source-workflow';
import { createDetectionHook } from '../../detections/engine';
import { enablePack } from '../../detections/store';
import { budgetOf } from '../../store/api-pacing';
import { loadCheckpoint, type Checkpoint } from '../../store/checkpoints';
import { expandDeepValues, hostilePage, hostileRateLimit, type HostilePage } from '../../harness/hostile-pages';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import { createTestSource, testCipher } from '../../harness/sources';

// Invariant 8, property-based: arbitrary pages (any Unicode, NULs, lone surrogates, huge and deep values, absurd
// times, missing and mistyped fields, over-long and repeated ids, any meta.next) under arbitrary rate-limit headers,
// served by the simulator over HTTP to the real ingestPage activity, which stores them in the real PostgreSQL. Each
// case is a fresh source, so that a failing case replays alone. For every case: a readable page commits, anything
// else fails typed and stores nothing, no event is lost or stored twice, and the organization's pace stays within
// an hour. FUZZ_RUNS sets the number of cases, FUZZ_SEED (and FUZZ_PATH, from a failure's report) replays a run.

const RUNS = wholeNumber('FUZZ_RUNS', process.env.FUZZ_RUNS ?? '2000');
const SEED = wholeNumber('FUZZ_SEED', process.env.FUZZ_SEED ?? String(randomInt(2 ** 31)));
const PATH = process.env.FUZZ_PATH;

function wholeNumber(name: string, text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new Error(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** A page waits for its slot in the pace this long at most (paced-requests.ts), past the hour a header may ask. */
const MAX_PACE_AHEAD_MS = MAX_RATE_LIMIT_DELAY_MS + 5_000;
const TYPED_FAILURES = new Set<string>([...Object.values(failureTypes), 'CheckpointMoved']);
/** What the page's read-ahead (if any) is answered with: the end of the stream. */
const END_OF_STREAM = '{"data":[],"meta":{"next":null}}';

/** Warnings (ignored rate-limit headers) come by the hundred here; the tests of those headers read them. */
const quietLogger: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What the run went through, printed at its end: a run that never commits or never holds proves little. */
const tally = { committed: 0, malformed: 0, rateLimited: 0, readAhead: 0, stored: 0, held: new Map<string, number>() };

let simulator: RunningSimulator;
let own: OwnDatabase;
let org: RunningSimulator['orgs'][number];
let ingestPage: ReturnType<typeof createIngestPage>;
const environment = new MockActivityEnvironment({ activityType: 'ingestPage' }, { logger: quietLogger });

beforeAll(async () => {
  simulator = await startSimulator({ seed: 25, orgs: [{}], history: { count: 0 } });
  [org] = simulator.orgs;
  // A database of its own: thousands of sources would slow the tests that read every source of the shared one.
  own = await openOwnDatabase('fuzzed_pages');
  ingestPage = createIngestPage({ db: own.db, cipher: testCipher, onEventsInserted: createDetectionHook() });
});

afterAll(async () => {
  await own?.close();
  await simulator?.close();
});

type Outcome = { summary: PageSummary } | { failure: unknown };

async function run(sourceId: string): Promise<Outcome> {
  try {
    return { summary: await environment.run(ingestPage, { sourceId }) };
  } catch (failure) {
    return { failure };
  }
}

function failureType(outcome: Outcome): string | undefined {
  if (!('failure' in outcome)) return undefined;
  const { failure } = outcome;
  // Anything else (a TypeError, a RangeError, a database error) would be retried for ever as if it were transient.
  if (!(failure instanceof ApplicationFailure) || !TYPED_FAILURES.has(failure.type ?? '')) {
    throw new Error(`the page failed untyped: ${failure instanceof Error ? `${failure.name}: ${failure.message.slice(0, 300)}` : String(failure)}`);
  }
  return failure.type!;
}

/** The page's items as the client reads them: an id that is a non-empty string is usable. */
function itemsOf(body: string): unknown[] {
  return (JSON.parse(body) as { data: unknown[] }).data;
}

function usableId(item: unknown): string | null {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** Serves the page to a fresh source, ingests it, checks every property, and returns what the page did. */
async function checkCase(page: HostilePage, rateLimit: { headers: Record<string, string>; throttled: boolean }): Promise<{ outcome: Outcome; checkpoint: Checkpoint }> {
  const { db } = own;
  const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
  await enablePack(db, source.id, 'atlassian-core');
  if (page.startCursor !== null) await db.query('UPDATE checkpoints SET cursor = $2 WHERE source_id = $1', [source.id, page.startCursor]);
  // Each case starts with a fresh pace: one case's hour-long hold would otherwise throttle every case after it.
  await db.query('DELETE FROM api_pacing WHERE budget = $1', [budgetOf(source)]);
  simulator.setRateLimit({ headers: rateLimit.headers });
  const body = expandDeepValues(page.body);
  simulator.setVerbatimPages(org.id, [body, END_OF_STREAM]);
  if (rateLimit.throttled) simulator.failNext({ kind: 'rate-limited', count: 1, orgId: org.id });

  const outcome = await run(source.id);
  const type = failureType(outcome);
  const afterPage = await loadCheckpoint(db, source.id);
  // A page that says it has more was read ahead: the next page takes that read, so nothing is left in flight.
  if ('summary' in outcome && outcome.summary.hasMore) {
    tally.readAhead++;
    failureType(await run(source.id));
  }
  simulator.setVerbatimPages(org.id, []);

  const { rows: stored } = await db.query<{ event_id: string }>('SELECT event_id FROM events WHERE source_id = $1', [source.id]);
  const { rows: held } = await db.query<{ event_id: string | null; raw_sha256: string; reason: string }>('SELECT event_id, raw_sha256, reason FROM quarantined_events WHERE source_id = $1', [source.id]);
  const { rows: pace } = await db.query<{ ahead_ms: number | null }>(
    'SELECT extract(epoch FROM GREATEST(next_request_at, spacing_until) - now())::float8 * 1000 AS ahead_ms FROM api_pacing WHERE budget = $1',
    [budgetOf(source)],
  );
  for (const row of pace) expect(row.ahead_ms ?? 0).toBeLessThanOrEqual(MAX_PACE_AHEAD_MS);

  const expectedType = rateLimit.throttled ? failureTypes.RATE_LIMITED : page.readable ? undefined : failureTypes.MALFORMED_RESPONSE;
  expect(type).toBe(expectedType);
  // Whatever Retry-After says, the retry comes within the hour (the activity gives the delay in milliseconds).
  if ('failure' in outcome) {
    const delay = (outcome.failure as ApplicationFailure).nextRetryDelay ?? 0;
    expect(delay).toEqual(expect.any(Number));
    expect(delay as number).toBeLessThanOrEqual(MAX_RATE_LIMIT_DELAY_MS);
  }
  if (type !== undefined) {
    if (type === failureTypes.RATE_LIMITED) tally.rateLimited++;
    else tally.malformed++;
    expect([afterPage.pagesFetched, stored.length, held.length]).toEqual([0, 0, 0]);
    return { outcome, checkpoint: afterPage };
  }

  expect(afterPage.pagesFetched).toBe(1);
  tally.committed++;
  tally.stored += stored.length;
  for (const { reason } of held) tally.held.set(reason, (tally.held.get(reason) ?? 0) + 1);
  // The cursor moves on to what the page named, or stays where it was when it named none.
  expect(afterPage.cursor).toBe(page.next ? storableText(page.next) : page.startCursor);
  // A processedAt far ahead is stored as sent but never becomes the point a restart reads from.
  expect(afterPage.newestProcessedAt?.getTime() ?? 0).toBeLessThanOrEqual(Date.now() + PROCESSED_AT_FUTURE_SKEW_MS);

  const items = itemsOf(body);
  const storedIds = new Set(stored.map((row) => row.event_id));
  const heldIds = new Set(held.map((row) => row.event_id));
  const heldTexts = new Set(held.map((row) => row.raw_sha256));
  // Every event with an id is stored under it (made storable) or held under it (cut to the longest id kept).
  const lost = items.filter((item) => {
    const id = usableId(item);
    return id !== null && !storedIds.has(storableText(id)) && !heldIds.has(storableText(id.slice(0, MAX_EVENT_ID_LENGTH)));
  });
  expect(lost.map((item) => jsonText(item).slice(0, 200))).toEqual([]);
  // Every event without one is held, by its exact text, once: as many held without an id as such distinct texts.
  const withoutId = new Set(items.filter((item) => usableId(item) === null).map((item) => sha256(storableText(jsonText(item)))));
  expect([...withoutId].filter((hash) => !heldTexts.has(hash))).toEqual([]);
  expect(held.filter((row) => row.event_id === null).length).toBe(withoutId.size);
  // Nothing comes from elsewhere, nothing twice: no more rows than distinct event texts in the page.
  expect(stored.length + held.length).toBeLessThanOrEqual(new Set(items.map((item) => jsonText(item))).size);
  return { outcome, checkpoint: afterPage };
}

describe('arbitrary pages through the client, normalization and the store', () => {
  // Found by this suite: PostgreSQL refused the offset, so the event was held and its page stored one event at a time.
  it('stores an event whose time has a UTC offset PostgreSQL does not take, at the same instant', async () => {
    const at = new Date(Date.now() - 3600_000);
    const local = `${new Date(at.getTime() + 18 * 3600_000).toISOString().slice(0, 19)}+18:00`;
    const event = { id: 'far-offset', attributes: { time: local, processedAt: local, action: 'user_login', actor: { id: 'a' } } };
    const { checkpoint } = await checkCase({ startCursor: null, body: JSON.stringify({ data: [event] }), readable: true, next: null }, { headers: {}, throttled: false });
    expect(checkpoint.newestProcessedAt?.getTime()).toBe(Math.floor(at.getTime() / 1000) * 1000);
  });

  // Found by this suite: PostgreSQL refused the checkpoint's new cursor, and the page failed untyped on every retry.
  it('commits a page whose meta.next holds a NUL, and knows that cursor again when the API hands it back', async () => {
    const full = (next: string) => JSON.stringify({ data: [{ id: 'x' }], meta: { next, page_size: 1 } });
    const page = { startCursor: null, body: full('c\u0000'), readable: true, next: 'c\u0000' };
    const first = await checkCase(page, { headers: {}, throttled: false });
    expect(first).toMatchObject({ outcome: { summary: { hasMore: true } }, checkpoint: { cursor: 'c\uFFFD' } });
    const again = await checkCase({ ...page, startCursor: 'c\uFFFD' }, { headers: {}, throttled: false });
    expect(again).toMatchObject({ outcome: { summary: { hasMore: false } }, checkpoint: { cursor: 'c\uFFFD' } });
  });

  it(`commits or fails typed, and loses nothing, on each of ${RUNS} generated pages`, async () => {
    process.stderr.write(
      `fuzzed pages: seed ${SEED}, ${RUNS} runs (replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx jest test/ingestion/fuzzed-pages.test.ts; ` +
        `a failure's report names the path of its counterexample for FUZZ_PATH)\n`,
    );
    Object.assign(tally, { committed: 0, malformed: 0, rateLimited: 0, readAhead: 0, stored: 0, held: new Map() });
    const startedAt = Date.now();
    await fc.assert(
      fc.asyncProperty(hostilePage, hostileRateLimit, async (page, rateLimit) => void (await checkCase(page, rateLimit))),
      { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}), endOnFailure: false },
    );
    const t = tally;
    process.stderr.write(
      `fuzzed pages: ${RUNS} cases in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${t.committed} committed (${t.readAhead} read ahead), ` +
        `${t.malformed} unreadable, ${t.rateLimited} throttled; ${t.stored} events stored, held: ${[...t.held].map(([reason, n]) => `${reason} ${n}`).join(', ')}\n`,
    );
  }, 900_000);
});
