import { storeMaintenanceScheduleId } from '../../contract/ids';
import { listMaintenanceRuns } from '../../store/maintenance-runs';
import { ensureStoreMaintenanceSchedule } from '../../workers/store-maintenance-schedule';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { eventually } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { maintenanceActivities } from './maintenance-kit';

// Store maintenance runs on a Temporal Schedule (visible in the Web UI), created by the worker at start: idempotently,
// and without undoing what an operator changed on it since.

describe('the store maintenance Schedule', () => {
  let own: OwnDatabase;
  beforeAll(async () => {
    own = await openOwnDatabase('maintenance_schedule');
  });
  afterAll(() => own?.close());

  it('exists after a worker start, is left as it is by the next start, and a triggered run completes', async () => {
    await withWorker(maintenanceActivities(own.db), async ({ client, taskQueue }) => {
      const handle = client.schedule.getHandle(storeMaintenanceScheduleId(taskQueue));
      try {
        expect(await ensureStoreMaintenanceSchedule(client.connection, client.options.namespace, taskQueue)).toBe('created');
        const created = await handle.describe();
        expect(created.action).toMatchObject({ type: 'startWorkflow', workflowType: 'storeMaintenanceWorkflow', taskQueue });
        expect(created.spec.intervals?.map((interval) => interval.every)).toEqual([60 * 60 * 1000]);
        expect(created.policies.overlap).toBe('SKIP');

        // An operator pauses it in the Web UI; a worker starting later leaves it paused.
        await handle.pause('operator pause');
        expect(await ensureStoreMaintenanceSchedule(client.connection, client.options.namespace, taskQueue)).toBe('existed');
        expect((await handle.describe()).state.paused).toBe(true);

        await handle.trigger();
        const [run] = await eventually(
          () => listMaintenanceRuns(own.db, 1),
          (runs) => runs[0]?.status === 'finished',
        );
        expect(run.workflowId.startsWith(storeMaintenanceScheduleId(taskQueue))).toBe(true);
        expect(run.report).toHaveProperty('pruned');
      } finally {
        await handle.delete().catch(() => undefined);
      }
    });
  });
});
