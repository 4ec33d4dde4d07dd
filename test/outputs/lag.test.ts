import { outputStatusQuery } from '../../contract/output-messages';
import { oldestUndeliveredEventTime } from '../../store/output-positions';
import { startOutputWorkflow } from '../../outputs/start-output-workflow';
import { withIdleSourceToReceiver } from '../../harness/http-output';
import { eventually, testActivities } from '../../harness/sources';
import { replayWithTestBundle, withWorker } from '../../harness/worker';
import { positionOf } from './output-kit';
import { storeEvents } from './stored-rows';

describe('forwarding lag', () => {
  it('opens a forwarding alert past the threshold while the receiver fails, and resolves it once caught up', () =>
    withIdleSourceToReceiver({ lagAlertSeconds: 3600 }, async ({ db, receiver, source, output }) => {
      await storeEvents(db, source, 20);
      // Stored two hours ago, as a long outage would leave them.
      await db.query(`UPDATE events SET p_parse_time = now() - interval '2 hours', event_time = now() - interval '3 hours' WHERE source_id = $1`, [source.id]);
      receiver.status = 500;
      const alerts = async () =>
        (await db.query(`SELECT dedup_key, status, details FROM alerts WHERE source_id = $1 AND kind = 'forwarding' ORDER BY id`, [source.id])).rows;

      // Retention asks what it must keep: the oldest undelivered event's time.
      const oldest = await oldestUndeliveredEventTime(db, source.id);
      expect(Date.now() - oldest!.getTime()).toBeGreaterThan(3 * 3600_000 - 60_000);

      await withWorker(testActivities(db), async ({ client, taskQueue }) => {
        const handle = await startOutputWorkflow(client, output, taskQueue);
        const opened = await eventually(alerts, (a) => a.length === 1);
        expect(opened[0]).toMatchObject({ dedup_key: `lag:${output.name}`, status: 'open', details: { output: output.name, pendingEvents: 20 } });
        expect(opened[0].details.lagSeconds).toBeGreaterThanOrEqual(7200);
        expect((await positionOf(db, output.id, source.id)).delivered).toBe(0);

        receiver.status = 200;
        await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === 20, 60_000);
        await eventually(alerts, (a) => a.length === 1 && a[0].status === 'resolved');
        // The view starts at zero too: only a finished round's figures count.
        await eventually(() => handle.query(outputStatusQuery), (v) => v.lastRoundAt !== null && v.backlogEvents === 0 && v.lagSeconds === 0);
        expect(await oldestUndeliveredEventTime(db, source.id)).toBeNull();
        await handle.terminate('test done');
        // The run's history (retries, alerts, a catch-up) replays on the current code, and holds no event.
        const history = await handle.fetchHistory();
        await replayWithTestBundle(history, handle.workflowId);
        // Payloads come base64-encoded: read as the text they carry.
        const asText = JSON.stringify(history, (key, value) => (key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value));
        expect(asText).toContain('backlogEvents');
        expect(asText).not.toContain('user_granted_role');
      });
    }));
});
