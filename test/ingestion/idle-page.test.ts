import { MockActivityEnvironment } from '@temporalio/testing';
import { createIngestPage } from '../../activities/ingest-page';
import type { PageSummary } from '../../contract/source-workflow';
import { loadCheckpoint } from '../../store/checkpoints';
import type { Database } from '../../store/database';
import type { RunningSimulator } from '../../simulator/server';
import { useSimulatorAndDatabase } from '../../harness/fixtures';
import { createTestSource, testCipher } from '../../harness/sources';
import { quietLogger } from '../../harness/test-stack';

// An idle poll, the page that most sources run most of the time, against the simulator and the real PostgreSQL: it
// finds nothing, yet advances the checkpoint (the page count and the last-polled time the product shows), in one
// statement rather than a transaction of its own.

describe('an idle page', () => {
  let simulator: RunningSimulator;
  let db: Database;
  useSimulatorAndDatabase({ seed: 91, orgs: [{}], history: { count: 20, spanMs: 3600_000 }, maxPageSize: 10 }, (fixture) => ({ simulator, db } = fixture));
  const environment = new MockActivityEnvironment({ activityType: 'ingestPage' }, { logger: quietLogger });

  it('advances the checkpoint in one statement of its own, with no transaction', async () => {
    const org = simulator.orgs[0];
    const sourceId = (await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url })).id;
    const transactions: string[] = [];
    const statements: string[] = [];
    const counted: Database = {
      ...db,
      query: (text, params) => (statements.push(text), db.query(text, params)),
      withTransaction: (work) => (transactions.push('BEGIN'), db.withTransaction(work)),
    };
    const ingestPage = createIngestPage({ db: counted, cipher: testCipher });
    const run = () => environment.run(ingestPage, { sourceId }) as Promise<PageSummary>;
    let summary: PageSummary;
    do summary = await run();
    while (summary.hasMore);
    expect(summary).toMatchObject({ backfillCompleted: true, eventsIngested: 20 });
    const before = await loadCheckpoint(db, sourceId);
    transactions.length = 0;
    statements.length = 0;

    expect(await run()).toMatchObject({ fetched: 0, inserted: 0, hasMore: false, eventsIngested: 20, pagesFetched: before.pagesFetched + 1 });
    const after = await loadCheckpoint(db, sourceId);
    expect(after).toMatchObject({ pagesFetched: before.pagesFetched + 1, eventsIngested: 20, cursor: before.cursor, newestProcessedAt: before.newestProcessedAt });
    expect(after.lastPolledAt!.getTime()).toBeGreaterThan(before.lastPolledAt!.getTime());
    expect(transactions).toEqual([]);
    // The source and its checkpoint, the organization's pace (a slot, and what the response said), the checkpoint.
    expect(statements).toHaveLength(4);
  });
});
