import { MockActivityEnvironment } from '@temporalio/testing';
import { createIngestPage } from '../../activities/ingest-page';
import { createIngestPages } from '../../activities/ingest-pages';
import { PAGE_HANDED_BACK } from '../../contract/failure-types';
import type { PageSummary } from '../../contract/source-workflow';
import { createDetectionHook } from '../../detections/engine';
import { loadCheckpoint } from '../../store/checkpoints';
import type { Database } from '../../store/database';
import type { RunningSimulator } from '../../simulator/server';
import { useSimulatorAndDatabase } from '../../harness/fixtures';
import { countEvents, createTestSource, testCipher } from '../../harness/sources';
import { quietLogger } from '../../harness/test-stack';

// A batch of pages in one activity (ingestPages) against the simulator and the real PostgreSQL: each page is committed
// on its own, and the batch ends at its size, at the end of the stream, or when the worker begins to stop.

describe('ingestPages', () => {
  let simulator: RunningSimulator;
  let db: Database;
  // 50 events served 10 a page: 5 pages.
  useSimulatorAndDatabase({ seed: 83, orgs: [{}, {}], history: { count: 50, spanMs: 3600_000 }, maxPageSize: 10 }, (fixture) => ({ simulator, db } = fixture));
  const environment = new MockActivityEnvironment({ activityType: 'ingestPages' }, { logger: quietLogger });
  const run = (ingestPages: ReturnType<typeof createIngestPages>, sourceId: string, maxPages: number) => environment.run(ingestPages, { sourceId, maxPages }) as Promise<PageSummary>;

  async function newSource(orgIndex: number): Promise<string> {
    const org = simulator.orgs[orgIndex];
    return (await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url })).id;
  }

  it('ingests up to maxPages pages, each committed, and stops at the end of the stream', async () => {
    const ingestPages = createIngestPages(createIngestPage({ db, cipher: testCipher, onEventsInserted: createDetectionHook() }));
    const sourceId = await newSource(0);

    const first = await run(ingestPages, sourceId, 3);
    expect(first).toMatchObject({ pages: 3, fetched: 30, inserted: 30, hasMore: true, pagesFetched: 3, eventsIngested: 30, backfillCompleted: false });
    expect(await countEvents(db, sourceId)).toBe(30);
    expect((await loadCheckpoint(db, sourceId)).pagesFetched).toBe(3);

    const rest = await run(ingestPages, sourceId, 10);
    // The last pages: the remaining 20 events, and the answer (empty or not) that says the stream ends.
    expect(rest).toMatchObject({ fetched: 20, inserted: 20, hasMore: false, eventsIngested: 50, backfillCompleted: true });
    expect(rest.pages).toBeGreaterThanOrEqual(2);
    expect(rest.pagesFetched).toBe(3 + rest.pages!);
    expect(await countEvents(db, sourceId)).toBe(50);
  });

  it('ends the batch after the page in flight when the worker begins to stop', async () => {
    const stopping = new AbortController();
    const ingestPage = createIngestPage({ db, cipher: testCipher, workerStopping: stopping.signal });
    const ingestPages = createIngestPages(async (input) => {
      const page = await ingestPage(input);
      stopping.abort();
      return page;
    }, stopping.signal);
    const sourceId = await newSource(1);

    expect(await run(ingestPages, sourceId, 10)).toMatchObject({ pages: 1, fetched: 10, hasMore: true });
    expect(await countEvents(db, sourceId)).toBe(10);
    // The next batch hands its first page back, as a single page would be.
    await expect(run(ingestPages, sourceId, 10)).rejects.toMatchObject({ type: PAGE_HANDED_BACK });
    expect(await countEvents(db, sourceId)).toBe(10);
  });
});
