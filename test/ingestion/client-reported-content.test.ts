import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import type { Database } from '../../store/database';
import { afterBackfill } from '../../harness/backfilled-source';
import { countEvents, eventually } from '../../harness/sources';

// The two cases the client reports and the ingest path acts on: events of a page the schema rejects are held (the
// rest of the page is stored), and a full page that hands back its own cursor is alerted once and not asked for again
// until the next poll (the simulator's `repeat-cursor` fault).

const DAY_MS = 24 * 3600_000;
const HISTORY = 200;

async function quarantineAlerts(db: Database, sourceId: string) {
  const { rows } = await db.query<{ dedup_key: string; status: string; title: string }>(
    "SELECT dedup_key, status, title FROM alerts WHERE source_id = $1 AND kind = 'quarantine' ORDER BY id",
    [sourceId],
  );
  return rows;
}

describe('what the client reports, the ingest path acts on', () => {
  it('holds the events of a page the schema rejects, with their exact text, and stores the rest of the page', () =>
    afterBackfill({ seed: 261, count: HISTORY, spanMs: DAY_MS }, async ({ simulator, db, org, source, handle }) => {
      const [broken, ...rest] = simulator.addEvents(org.id, { count: 3 });
      simulator.failNext({ kind: 'malformed-event', count: 1, orgId: org.id });
      await handle.signal(pollNowSignal);
      await eventually(() => countEvents(db, source.id), (n) => n === HISTORY + 2, 30_000, 100);
      const { rows: stored } = await db.query('SELECT event_id FROM events WHERE source_id = $1 AND event_id = ANY($2)', [source.id, rest]);
      expect(stored).toHaveLength(2);
      const { rows: held } = await db.query<{ event_id: string; reason: string; detail: string; raw: string }>(
        'SELECT event_id, reason, detail, raw FROM quarantined_events WHERE source_id = $1',
        [source.id],
      );
      expect(held).toEqual([{ event_id: broken, reason: 'schema', detail: expect.stringContaining('action'), raw: expect.any(String) }]);
      expect(JSON.parse(held[0].raw).id).toBe(broken);
      expect(await quarantineAlerts(db, source.id)).toEqual([expect.objectContaining({ dedup_key: 'held', status: 'open' })]);
    }));

  it('takes a full page that hands back its own cursor as caught up, alerts once, and resolves when the cursor moves', () =>
    afterBackfill({ seed: 262, count: HISTORY, spanMs: DAY_MS }, async ({ simulator, db, org, source, handle }) => {
      // More than a page: the page asked with the stored cursor is full, so handing that cursor back would loop.
      simulator.addEvents(org.id, { count: 700 });
      simulator.failNext({ kind: 'repeat-cursor', count: 1, orgId: org.id });
      simulator.resetRequestCounts();
      await handle.signal(pollNowSignal);
      await eventually(() => quarantineAlerts(db, source.id), (alerts) => alerts.length === 1, 30_000, 100);
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting', 30_000, 100);
      expect(await quarantineAlerts(db, source.id)).toEqual([
        { dedup_key: 'cursor-repeated', status: 'open', title: `the API hands ${source.name} the same page again: its cursor does not advance` },
      ]);
      // One request for the looping page, none after it until the next poll.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(simulator.requestCounts().byOrg[org.id]['events-stream']).toBe(1);
      expect(await countEvents(db, source.id)).toBe(HISTORY + 500);

      await handle.signal(pollNowSignal);
      await eventually(() => countEvents(db, source.id), (n) => n === HISTORY + 700, 30_000, 100);
      await eventually(() => quarantineAlerts(db, source.id), (alerts) => alerts[0]?.status === 'resolved', 30_000, 100);
      expect(await handle.query(statusQuery)).toMatchObject({ errors: 0, backfill: { completed: true } });
    }));
});
