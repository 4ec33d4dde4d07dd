import { startSimulator, type RunningSimulator } from './simulator';
import { statusQuery } from '../contract/source-messages';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import type { Database } from '../store/database';
import type { SourceRecord } from '../store/sources';
import { createTestSource, eventually, openTestDatabase, testActivities } from './sources';
import { withWorker } from './worker';

/**
 * Polled hourly: the cases ask for each poll with pollNow and count the requests and events it brings, which a
 * scheduled poll landing mid-case (every minute, at an offset from the source's id) would add to.
 */
export async function backfilledSource(simulator: RunningSimulator, db: Database): Promise<SourceRecord> {
  const org = simulator.orgs[0];
  return createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, backfillDays: 2, pollIntervalSeconds: 3600 });
}

export interface Backfilled {
  simulator: RunningSimulator;
  db: Database;
  org: RunningSimulator['orgs'][number];
  source: SourceRecord;
  handle: Awaited<ReturnType<typeof startSourceWorkflow>>;
}

/**
 * A source backfilled by an in-process worker from a simulator of one organization with `count` events over
 * `spanMs`, and waiting for its next poll: each case then adds its events and asks for a poll. `prepare` runs before
 * the workflow starts (a pack to enable).
 */
export async function afterBackfill(
  history: { seed: number; count: number; spanMs: number },
  test: (fixture: Backfilled) => Promise<void>,
  prepare?: (db: Database, source: SourceRecord) => Promise<unknown>,
): Promise<void> {
  const simulator = await startSimulator({ seed: history.seed, orgs: [{}], history: { count: history.count, spanMs: history.spanMs } });
  const db = openTestDatabase();
  try {
    const source = await backfilledSource(simulator, db);
    await prepare?.(db, source);
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting', 60_000, 200);
      await test({ simulator, db, org: simulator.orgs[0], source, handle });
      await handle.terminate('test done');
    });
  } finally {
    await db.close();
    await simulator.close();
  }
}
