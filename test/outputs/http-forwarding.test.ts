import { Webhook } from 'standardwebhooks';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { outputStatusQuery, resumeOutputSignal } from '../../contract/output-messages';
import { newSigningSecret } from '../../alerts/destinations';
import { startOutputWorkflow } from '../../outputs/start-output-workflow';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { withSimulatedSourceToReceiver } from '../../harness/http-output';
import { countEvents, eventually } from '../../harness/sources';
import { eventsBySeq, firstArrivals, positionOf } from './output-kit';

const DAY_MS = 24 * 3600_000;

describe('HTTP output: every stored event reaches the receiver, in seq order per source', () => {
  it('forwards a backfill and new events, holds the batch while the receiver is down or failing, and loses nothing', () => {
    const signingSecret = newSigningSecret();
    return withSimulatedSourceToReceiver({ seed: 26, count: 1_500, spanMs: 2 * DAY_MS }, { batching: { maxEvents: 200 }, gzip: true, signingSecret }, async (fixture) => {
      const { simulator, org, db, receiver, source, output, client, taskQueue } = fixture;
      const sourceHandle = await startSourceWorkflow(client, source, taskQueue);
      const outputHandle = await startOutputWorkflow(client, output, taskQueue);
      await eventually(() => sourceHandle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting', 60_000);
      const stored = await eventsBySeq(db, source.id);
      expect(stored.ids).toHaveLength(1_500);
      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === stored.maxSeq, 60_000);
      expect(firstArrivals(receiver.accepted()).ids).toEqual(stored.ids);
      // Batches are cut at the size limit, signed over the NDJSON, and every record names its event and source.
      expect(Math.max(...receiver.received.map((b) => b.records.length))).toBeLessThanOrEqual(200);
      const first = receiver.received[0];
      // Standard Webhooks' verify() also parses the body as one JSON document; NDJSON is checked against its signature.
      const sentAt = new Date(Number(first.headers['webhook-timestamp']) * 1000);
      expect(first.headers['webhook-signature']).toBe(new Webhook(signingSecret).sign(String(first.headers['webhook-id']), sentAt, first.text));
      expect(first.records[0]).toMatchObject({ id: stored.ids[0], p_source_label: source.name, p_log_type: 'Atlassian.Audit' });

      // The receiver fails: the position stays where it was, the claimed batch is sent again as it was.
      receiver.status = 503;
      const failingFrom = receiver.received.length;
      simulator.addEvents(org.id, { count: 30 });
      await sourceHandle.signal(pollNowSignal);
      await eventually(() => countEvents(db, source.id), (n) => n === 1_530, 15_000);
      await eventually(() => Promise.resolve(receiver.received.length - failingFrom), (n) => n >= 2, 30_000);
      const failing = receiver.received.slice(failingFrom);
      expect(new Set(failing.map((b) => b.headers['idempotency-key'])).size).toBe(1);
      expect(failing[1].text).toBe(failing[0].text);
      const held = await positionOf(db, output.id, source.id);
      expect(held).toMatchObject({ delivered: stored.maxSeq, lastError: 'HTTP 503' });
      expect(held.claimed).toBeGreaterThan(stored.maxSeq);

      // Then down altogether while more events arrive, and up again: everything arrives.
      await receiver.down();
      simulator.addEvents(org.id, { count: 40 });
      await sourceHandle.signal(pollNowSignal);
      await eventually(() => countEvents(db, source.id), (n) => n === 1_570, 15_000);
      await eventually(async () => (await positionOf(db, output.id, source.id)).lastError, (e) => e !== null && e !== 'HTTP 503', 30_000);
      receiver.status = 200;
      await receiver.up();
      const all = await eventsBySeq(db, source.id);
      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === all.maxSeq, 90_000);
      const arrivals = firstArrivals(receiver.accepted());
      expect(arrivals.ids).toEqual(all.ids);
      process.stdout.write(`http output: ${all.ids.length} events, ${arrivals.duplicates} duplicates accepted\n`);
      expect(await outputHandle.query(outputStatusQuery)).toMatchObject({ status: 'active', backlogEvents: 0 });
      await sourceHandle.terminate('test done');
      await outputHandle.terminate('test done');
    });
  });

  it('pauses the output and opens a forwarding alert on a 401, and sends the same batch after resume', () =>
    withSimulatedSourceToReceiver({ seed: 27, count: 300, spanMs: DAY_MS }, {}, async ({ db, receiver, source, output, client, taskQueue }) => {
      receiver.status = 401;
      const sourceHandle = await startSourceWorkflow(client, source, taskQueue);
      const outputHandle = await startOutputWorkflow(client, output, taskQueue);
      await eventually(() => outputHandle.query(outputStatusQuery), (v) => v.status === 'failed', 60_000);
      const { rows: outputRows } = await db.query('SELECT status, status_reason FROM outputs WHERE id = $1', [output.id]);
      expect(outputRows[0]).toEqual({ status: 'failed', status_reason: 'the destination refused: the receiver answered HTTP 401' });
      const alertsOf = async () =>
        (await db.query(`SELECT kind, dedup_key, status FROM alerts WHERE source_id = $1 AND kind = 'forwarding' ORDER BY id`, [source.id])).rows;
      expect(await alertsOf()).toEqual([{ kind: 'forwarding', dedup_key: `refused:${output.name}`, status: 'open' }]);
      // Refused once, not retried: a 401 will not pass by itself.
      expect(receiver.received).toHaveLength(1);
      expect((await positionOf(db, output.id, source.id)).delivered).toBe(0);

      receiver.status = 200;
      await outputHandle.signal(resumeOutputSignal);
      const stored = await eventsBySeq(db, source.id);
      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === stored.maxSeq, 30_000);
      expect(receiver.received[1].text).toBe(receiver.received[0].text);
      await eventually(alertsOf, (a) => a.length === 1 && a[0].status === 'resolved');
      await sourceHandle.terminate('test done');
      await outputHandle.terminate('test done');
    }));
});
