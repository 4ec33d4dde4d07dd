import type { PoolClient } from 'pg';
import { insertEvents, insertEventsOneByOne } from '../../store/events';
import { nextBatch } from '../../outputs/next-batch';
import { advancePosition } from '../../store/output-positions';
import { DEFAULT_BATCHING, type OutputBatching } from '../../store/outputs';
import { eventually, openTestDatabase } from '../../harness/sources';
import { withIdleSourceToReceiver } from '../../harness/http-output';
import { row } from '../detections/sample-events';

/** A transaction that holds until `release` is called, so a test can order commits by hand. */
function heldTransaction(db: ReturnType<typeof openTestDatabase>, work: (tx: PoolClient) => Promise<string[]>) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let worked = false;
  const done = db.withTransaction(async (tx) => {
    const ids = await work(tx);
    worked = true;
    await gate;
    return ids;
  });
  return { release, done, worked: () => worked };
}

/** The next batch's claimed range (its events checked against it), or the wait, or nothing. */
async function claimNextBatch(db: ReturnType<typeof openTestDatabase>, outputId: string, sourceId: string, batching: OutputBatching) {
  const next = await nextBatch(db, outputId, sourceId, { format: 'raw', batching });
  if (!('claimed' in next)) return next;
  expect(next.events.map((event) => event.seq)).toEqual(next.events.map((event) => event.seq).filter((seq) => seq > next.claimed.afterSeq && seq <= next.claimed.throughSeq));
  expect(next.events[next.events.length - 1].seq).toBe(next.claimed.throughSeq);
  return { claimed: next.claimed };
}

describe('seq: per-source insertion order is commit order', () => {
  it('makes a re-ingest wait for the page in flight, so a forwarder that passed a seq never sees a smaller one commit', () =>
    withIdleSourceToReceiver({}, async ({ db, source, output }) => {
      const page = Array.from({ length: 50 }, () => row({ action: 'user_granted_role' }));
      const reingested = Array.from({ length: 3 }, () => row({ action: 'user_removed_from_group' }));

      // The page takes its numbers and holds its transaction open; the re-ingest (the quarantine's path) starts meanwhile.
      const pageTx = heldTransaction(db, async (tx) => (await insertEvents(tx, source.id, source.name, page)).insertedIds);
      await eventually(() => Promise.resolve(pageTx.worked()), (w) => w);
      const reingestTx = heldTransaction(db, async (tx) => (await insertEventsOneByOne(tx, source.id, source.name, reingested)).insertedIds);
      // It waits on the page's lock of the source's counter rather than numbering its rows beside the page's.
      await eventually(
        async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%events_sequenced%'`)).rows[0].n,
        (n) => n >= 1,
      );
      expect(reingestTx.worked()).toBe(false);

      pageTx.release();
      await pageTx.done;
      await eventually(() => Promise.resolve(reingestTx.worked()), (w) => w);
      // The page is committed, the re-ingest is not: a forwarder sees and delivers the page alone.
      const first = await claimNextBatch(db, output.id, source.id, { ...DEFAULT_BATCHING, maxAgeSeconds: 0 });
      expect(first).toEqual({ claimed: { afterSeq: 0, throughSeq: 50 } });
      if (!('claimed' in first)) throw new Error('no batch claimed');
      expect(await advancePosition(db, output.id, source.id, first.claimed, 50)).toBe(true);

      reingestTx.release();
      await reingestTx.done;
      const { rows } = await db.query<{ event_id: string; seq: string }>('SELECT event_id, seq FROM events WHERE source_id = $1 ORDER BY seq', [source.id]);
      expect(rows.map((r) => r.event_id)).toEqual([...page, ...reingested].map((r) => r.eventId));
      // Each re-ingested event is its own insert: numbers after the page's, in commit order.
      expect(rows.map((r) => Number(r.seq))).toEqual([...Array.from({ length: 50 }, (_, i) => i + 1), 51, 52, 53]);
      expect(await claimNextBatch(db, output.id, source.id, { ...DEFAULT_BATCHING, maxAgeSeconds: 0 })).toEqual({ claimed: { afterSeq: 50, throughSeq: 53 } });
    }));

  it('keeps a claimed range until it is acknowledged, and waits for a small batch to reach its age', () =>
    withIdleSourceToReceiver({}, async ({ db, source, output }) => {
      await db.withTransaction((tx) => insertEvents(tx, source.id, source.name, Array.from({ length: 5 }, () => row({ action: 'user_granted_role' }))));
      const young = await claimNextBatch(db, output.id, source.id, { maxEvents: 10, maxBytes: 1 << 20, maxAgeSeconds: 3600 });
      expect('waitMs' in young && young.waitMs > 3_500_000).toBe(true);
      // Full by count: cut at once, whatever its age.
      const full = await claimNextBatch(db, output.id, source.id, { maxEvents: 3, maxBytes: 1 << 20, maxAgeSeconds: 3600 });
      expect(full).toEqual({ claimed: { afterSeq: 0, throughSeq: 3 } });
      // More events arrive; the claim stays the same range until the destination acknowledged it.
      await db.withTransaction((tx) => insertEvents(tx, source.id, source.name, Array.from({ length: 5 }, () => row({ action: 'user_granted_role' }))));
      expect(await claimNextBatch(db, output.id, source.id, { maxEvents: 1000, maxBytes: 1 << 20, maxAgeSeconds: 0 })).toEqual(full);
      expect(await advancePosition(db, output.id, source.id, { afterSeq: 0, throughSeq: 3 }, 3)).toBe(true);
      expect(await advancePosition(db, output.id, source.id, { afterSeq: 0, throughSeq: 3 }, 3)).toBe(false);
      expect(await claimNextBatch(db, output.id, source.id, { maxEvents: 1000, maxBytes: 1 << 20, maxAgeSeconds: 0 })).toEqual({ claimed: { afterSeq: 3, throughSeq: 10 } });
    }));
});
