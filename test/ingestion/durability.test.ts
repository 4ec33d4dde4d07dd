import { WorkflowExecutionInfo } from '@temporalio/client';
import { RunningSimulator } from '../../simulator/server';
import { Database } from '../../store/database';
import { loadCheckpoint } from '../../store/checkpoints';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { sourceWorkflowId } from '../../contract/ids';
import { pauseSignal, pollNowSignal, resumeSignal, setIntervalSignal, statusQuery } from '../../contract/source-messages';
import { sourceWorkflow } from '../../workflows/source-workflow';
import { countEvents, createTestSource, eventually, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { useSimulatorAndDatabase } from '../../harness/fixtures';

describe('source workflow durability', () => {
  let simulator: RunningSimulator;
  let db: Database;
  useSimulatorAndDatabase({ seed: 31, orgs: [{}, {}, {}], history: { count: 2_000, spanMs: 2 * 24 * 3600_000 } }, (fixture) => ({ simulator, db } = fixture));

  it('keeps cursor, counters, interval and pause state across several continue-as-new, losing no signal', async () => {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      // Two cycles per run: every poll-now below ends a run, and the signals sent around it must survive.
      const handle = await client.workflow.start(sourceWorkflow, {
        workflowId: sourceWorkflowId(source.name),
        taskQueue,
        args: [{ sourceId: source.id, sourceName: source.name, organizationId: source.organizationId, maxCyclesPerRun: 2 }],
      });
      const firstRunId = handle.firstExecutionRunId;
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting' && s.backfill.completed);

      let expected = 2_000;
      for (let round = 0; round < 4; round++) {
        simulator.addEvents(org.id, { count: 10 });
        expected += 10;
        // Sent back to back, so some land while the run is handing over to the next one.
        await handle.signal(pollNowSignal);
        await handle.signal(setIntervalSignal, 30 + round);
        await eventually(() => countEvents(db, source.id), (n) => n === expected, 15_000, 50);
      }
      await handle.signal(pauseSignal, 'kept across runs');
      await handle.signal(pollNowSignal);
      const paused = await eventually(() => handle.query(statusQuery), (s) => s.phase === 'paused');
      const runs = await runIdsOf(client.workflow.list({ query: `WorkflowId = '${sourceWorkflowId(source.name)}'` }));
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect((await handle.describe()).runId).not.toBe(firstRunId);
      expect(paused).toMatchObject({ paused: true, pauseReason: 'kept across runs', pollIntervalSeconds: 33, eventsIngested: expected, errors: 0 });

      const checkpoint = await loadCheckpoint(db, source.id);
      expect(checkpoint.eventsIngested).toBe(expected);
      expect(checkpoint.cursor).not.toBeNull();

      await handle.signal(resumeSignal);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting' && !s.paused);
      await handle.terminate('test done');
    });
  });

  it('resumes from the checkpoint in PostgreSQL when its workflow is terminated and started again', async () => {
    const org = simulator.orgs[1];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const first = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => first.query(statusQuery), (s) => s.phase === 'waiting');
      const before = await loadCheckpoint(db, source.id);
      await first.terminate('operator terminated it');

      const added = simulator.addEvents(org.id, { count: 15 });
      const requestsBefore = simulator.requestCounts().byOrg[org.id]['events-stream'] ?? 0;
      const second = await startSourceWorkflow(client, source, taskQueue);
      const status = await eventually(() => second.query(statusQuery), (s) => s.phase === 'waiting');
      // Not a second backfill: one or two pages after the stored cursor, and the counters continue.
      expect((simulator.requestCounts().byOrg[org.id]['events-stream'] ?? 0) - requestsBefore).toBeLessThanOrEqual(2);
      expect(status.eventsIngested).toBe(before.eventsIngested + 15);
      expect(status.backfill.completed).toBe(true);
      expect(await countEvents(db, source.id)).toBe(2_015);
      const { rows } = await db.query('SELECT count(*)::int AS n FROM events WHERE source_id = $1 AND event_id = ANY($2)', [source.id, added]);
      expect(rows[0].n).toBe(15);
      await second.terminate('test done');
    });
  });

  it('keeps event bodies and the API key out of workflow history', async () => {
    const org = simulator.orgs[2];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startSourceWorkflow(client, source, taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
      await handle.terminate('test done');
      const history = JSON.stringify(await handle.fetchHistory());
      const { rows } = await db.query<{ event_id: string; emails: string[]; ips: string[] }>(
        'SELECT event_id, p_any_emails AS emails, p_any_ip_addresses AS ips FROM events WHERE source_id = $1',
        [source.id],
      );
      expect(rows).toHaveLength(2_000);
      const secrets = new Set([org.keys.valid, ...rows.flatMap((r) => [r.event_id, ...r.emails, ...r.ips])]);
      expect(secrets.size).toBeGreaterThan(2_000);
      const leaked = [...secrets].filter((secret) => history.includes(secret));
      expect(leaked).toEqual([]);
    });
  });
});

async function runIdsOf(executions: AsyncIterable<WorkflowExecutionInfo>): Promise<string[]> {
  const runIds: string[] = [];
  for await (const execution of executions) runIds.push(execution.runId);
  return runIds;
}
