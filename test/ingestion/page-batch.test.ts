import { MockActivityEnvironment } from '@temporalio/testing';
import { createIngestPage } from '../../activities/ingest-page';
import { inBatches } from '../../activities/page-batch';
import { PAGE_HANDED_BACK, SOURCE_REMOVED } from '../../contract/failure-types';
import type { PageSummary } from '../../contract/source-workflow';
import { createDetectionHook } from '../../detections/engine';
import { loadCheckpoint } from '../../store/checkpoints';
import type { Database } from '../../store/database';
import type { RunningSimulator } from '../../simulator/server';
import { useSimulatorAndDatabase } from '../../harness/fixtures';
import { countEvents, createTestSource, testCipher } from '../../harness/sources';
import { quietLogger } from '../../harness/test-stack';

// A batch of pages in one ingestPage activity against the simulator and the real PostgreSQL: each page is committed on
// its own, and the batch ends at its size, at the end of the stream, when the worker begins to stop, or before a page
// that fails once a page of it committed.

describe('ingestPage in batches', () => {
  let simulator: RunningSimulator;
  let db: Database;
  // 50 events served 10 a page: 5 pages.
  useSimulatorAndDatabase({ seed: 83, orgs: [{}, {}, {}], history: { count: 50, spanMs: 3600_000 }, maxPageSize: 10 }, (fixture) => ({ simulator, db } = fixture));
  const environment = new MockActivityEnvironment({ activityType: 'ingestPage' }, { logger: quietLogger });
  const run = (ingestPage: ReturnType<typeof inBatches>, sourceId: string, maxPages?: number) => environment.run(ingestPage, { sourceId, maxPages }) as Promise<PageSummary>;

  async function newSource(orgIndex: number): Promise<string> {
    const org = simulator.orgs[orgIndex];
    return (await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url })).id;
  }

  it('ingests up to maxPages pages, each committed, and stops at the end of the stream; one page without maxPages', async () => {
    const ingestPage = inBatches(createIngestPage({ db, cipher: testCipher, onEventsInserted: createDetectionHook() }));
    const sourceId = await newSource(0);

    expect(await run(ingestPage, sourceId)).toMatchObject({ fetched: 10, inserted: 10, hasMore: true, pagesFetched: 1 });
    const batch = await run(ingestPage, sourceId, 2);
    expect(batch).toMatchObject({ pages: 2, fetched: 20, inserted: 20, hasMore: true, pagesFetched: 3, eventsIngested: 30, backfillCompleted: false });
    expect(await countEvents(db, sourceId)).toBe(30);
    expect((await loadCheckpoint(db, sourceId)).pagesFetched).toBe(3);

    const rest = await run(ingestPage, sourceId, 10);
    // The last pages: the remaining 20 events, and the answer (empty or not) that says the stream ends.
    expect(rest).toMatchObject({ fetched: 20, inserted: 20, hasMore: false, eventsIngested: 50, backfillCompleted: true });
    expect(rest.pages).toBeGreaterThanOrEqual(2);
    expect(rest.pagesFetched).toBe(3 + rest.pages!);
    expect(await countEvents(db, sourceId)).toBe(50);
  });

  it('ends the batch after the page in flight when the worker begins to stop', async () => {
    const stopping = new AbortController();
    const ingestOnePage = createIngestPage({ db, cipher: testCipher, workerStopping: stopping.signal });
    const ingestPage = inBatches(async (input) => {
      const page = await ingestOnePage(input);
      stopping.abort();
      return page;
    }, stopping.signal);
    const sourceId = await newSource(1);

    expect(await run(ingestPage, sourceId, 10)).toMatchObject({ fetched: 10, hasMore: true });
    expect(await countEvents(db, sourceId)).toBe(10);
    // The next batch hands its first page back, as a single page would be.
    await expect(run(ingestPage, sourceId, 10)).rejects.toMatchObject({ type: PAGE_HANDED_BACK });
    expect(await countEvents(db, sourceId)).toBe(10);
  });

  it('returns the pages committed before a page that fails, which fails the next activity as its first page', async () => {
    const ingestOnePage = createIngestPage({ db, cipher: testCipher });
    const sourceId = await newSource(2);
    let pagesBegun = 0;
    const ingestPage = inBatches(async (input) => {
      // The source goes away between the batch's second and third pages.
      if (++pagesBegun === 3) await db.query(`UPDATE sources SET status = 'removed' WHERE id = $1`, [sourceId]);
      return ingestOnePage(input);
    });

    expect(await run(ingestPage, sourceId, 10)).toMatchObject({ pages: 2, fetched: 20, inserted: 20, hasMore: true, pagesFetched: 2 });
    expect(await countEvents(db, sourceId)).toBe(20);
    await expect(run(ingestPage, sourceId, 10)).rejects.toMatchObject({ type: SOURCE_REMOVED });
    expect((await loadCheckpoint(db, sourceId)).pagesFetched).toBe(2);
  });
});
