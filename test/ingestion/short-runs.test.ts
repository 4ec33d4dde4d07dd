import { WorkflowExecutionInfo } from '@temporalio/client';
import { RunningSimulator } from '../../simulator/server';
import { Database } from '../../store/database';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { sourceWorkflowId } from '../../contract/ids';
import { statusQuery } from '../../contract/source-messages';
import { MAX_HISTORY_EVENTS_PER_RUN } from '../../workflows/run-length';
import { MAX_PAGES_PER_CYCLE } from '../../workflows/source-pages';
import { countEvents, createTestSource, eventually, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { useSimulatorAndDatabase } from '../../harness/fixtures';

// A worker that takes a source over replays its whole run first, so a backfill of many pages must not make a long run.

const EVENTS = 3_000;

describe('a backfill of many pages', () => {
  let simulator: RunningSimulator;
  let db: Database;
  // One event a page: 3,000 pages. A backfilling cycle of 50 pages adds about eight history events (its batch's marker,
  // the activity between cycles, a workflow task), so a run passes its bound after some 1,600 pages.
  useSimulatorAndDatabase({ seed: 47, orgs: [{}], history: { count: EVENTS, spanMs: 24 * 3600_000 }, maxPageSize: 1 }, (fixture) => ({ simulator, db } = fixture));

  it('continues-as-new once a run passes the history bound, and stores every event once', async () => {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting' && s.backfill.completed, 240_000, 200);
      expect(await countEvents(db, source.id)).toBe(EVENTS);
      const { rows } = await db.query('SELECT count(DISTINCT event_id)::int AS n FROM events WHERE source_id = $1', [source.id]);
      expect(rows[0].n).toBe(EVENTS);

      const runs: WorkflowExecutionInfo[] = [];
      for await (const run of client.workflow.list({ query: `WorkflowId = '${sourceWorkflowId(source.name)}'` })) runs.push(run);
      const ended = runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW');
      expect(ended.length).toBeGreaterThanOrEqual(1);
      for (const run of ended) {
        // The bound is checked between cycles, so a run ends within one cycle of pages past it.
        expect(run.historyLength).toBeGreaterThanOrEqual(MAX_HISTORY_EVENTS_PER_RUN);
        expect(run.historyLength).toBeLessThan(MAX_HISTORY_EVENTS_PER_RUN + MAX_PAGES_PER_CYCLE * 4);
      }
      await handle.terminate('test done');
    });
  }, 300_000);
});
