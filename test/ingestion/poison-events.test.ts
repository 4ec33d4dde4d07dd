import { randomBytes, randomUUID } from 'node:crypto';
import { startSimulator } from '../../harness/simulator';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { freePort } from '../../scripts/stack/processes';
import { enablePack } from '../../detections/store';
import type { Database } from '../../store/database';
import { countEvents, eventually, openTestDatabase } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { afterBackfill, backfilledSource } from '../../harness/backfilled-source';
import { WorkerProcess } from '../../harness/worker-process';
import { scrape } from '../../harness/prometheus';

// Invariant 8: whatever an event holds, the page commits, the checkpoint advances, and the operator is told. Each case
// is added after a normal backfill, followed by ordinary events that must be stored too: on the code before the
// quarantine, every one of these pages failed in PostgreSQL on every retry, and the source stored nothing again.

const DAY_MS = 24 * 3600_000;
const HISTORY = 200;

interface Held {
  event_id: string | null;
  reason: string;
  detail: string;
  raw: string;
}

async function heldEvents(db: Database, sourceId: string): Promise<Held[]> {
  const { rows } = await db.query<Held>('SELECT event_id, reason, detail, raw FROM quarantined_events WHERE source_id = $1 ORDER BY id', [sourceId]);
  return rows;
}

async function openQuarantineAlerts(db: Database, sourceId: string) {
  const { rows } = await db.query<{ dedup_key: string; title: string; message: string; details: { held?: number } }>(
    "SELECT dedup_key, title, message, details FROM alerts WHERE source_id = $1 AND kind = 'quarantine' AND status = 'open' ORDER BY id",
    [sourceId],
  );
  return rows;
}

async function storedIds(db: Database, sourceId: string, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ event_id: string }>('SELECT event_id FROM events WHERE source_id = $1 AND event_id = ANY($2) ORDER BY event_id', [sourceId, ids]);
  return rows.map((row) => row.event_id);
}

/** A whole event as the events stream serves it, for cases the generator's fields cannot express. */
function verbatimEvent(id: string, attributes: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id,
    type: 'events',
    attributes: { time: now, processedAt: now, action: 'user_login', actor: { id: 'verbatim-actor', name: 'Verbatim' }, ...attributes },
  };
}

describe('no content stops a source', () => {
  it('stores NUL and lone surrogates made storable with the exact text kept, holds impossible times, and tells the operator', async () => {
    const simulator = await startSimulator({ seed: 251, orgs: [{}], history: { count: HISTORY, spanMs: DAY_MS } });
    const db = openTestDatabase();
    const client = await connectClient();
    const metricsPort = await freePort();
    const worker = new WorkerProcess(`poison-${randomUUID()}`, { METRICS_PORT: String(metricsPort) });
    try {
      const org = simulator.orgs[0];
      const source = await backfilledSource(simulator, db);
      await worker.ready();
      const handle = await startSourceWorkflow(client, source, worker.taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting', 60_000, 200);
      expect(await countEvents(db, source.id)).toBe(HISTORY);
      const { rows: [before] } = await db.query<{ pages_fetched: string }>('SELECT pages_fetched FROM checkpoints WHERE source_id = $1', [source.id]);

      const [nul, lone] = simulator.addEvents(org.id, {
        events: [{ actor: { id: 'poison-nul', name: 'mallory\u0000admin' } }, { actor: { id: 'poison-surrogate', name: 'eve\uD800' } }],
      });
      const [year0, year9999] = simulator.addEvents(org.id, { events: [{ time: '0000-01-01T00:00:00Z' }, { time: '9999-12-31T23:59:59Z' }] });
      const after = simulator.addEvents(org.id, { count: 3 });
      await handle.signal(pollNowSignal);
      await eventually(() => storedIds(db, source.id, after), (ids) => ids.length === 3, 30_000, 100);

      // Made storable: U+FFFD in the columns and in raw, the exact text in original.
      const { rows } = await db.query<{ event_id: string; actor_name: string; raw_name: string; original: string | null }>(
        "SELECT event_id, actor_name, raw -> 'attributes' -> 'actor' ->> 'name' AS raw_name, original FROM events WHERE source_id = $1 AND event_id = ANY($2)",
        [source.id, [nul, lone]],
      );
      const byId = new Map(rows.map((row) => [row.event_id, row]));
      expect(byId.get(nul)).toMatchObject({ actor_name: 'mallory\uFFFDadmin', raw_name: 'mallory\uFFFDadmin' });
      expect(byId.get(lone)).toMatchObject({ actor_name: 'eve\uFFFD', raw_name: 'eve\uFFFD' });
      expect(JSON.parse(byId.get(nul)!.original!).attributes.actor.name).toBe('mallory\u0000admin');
      expect(JSON.parse(byId.get(lone)!.original!).attributes.actor.name).toBe('eve\uD800');
      const { rows: plain } = await db.query('SELECT 1 FROM events WHERE source_id = $1 AND original IS NOT NULL', [source.id]);
      expect(plain).toHaveLength(2);

      // Held: years PostgreSQL cannot hold (0000) or no audit log can have (9999), with their exact text.
      const held = await heldEvents(db, source.id);
      expect(held.map((h) => [h.event_id, h.reason])).toEqual([[year0, 'implausible_time'], [year9999, 'implausible_time']]);
      expect(held.map((h) => JSON.parse(h.raw).attributes.time)).toEqual(['0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z']);
      expect(await countEvents(db, source.id)).toBe(HISTORY + 5);

      // The checkpoint moved on and the source is healthy otherwise; the operator has one alert and a metric.
      const { rows: [now] } = await db.query<{ pages_fetched: string; events_ingested: string }>('SELECT pages_fetched, events_ingested FROM checkpoints WHERE source_id = $1', [source.id]);
      expect(Number(now.pages_fetched)).toBeGreaterThan(Number(before.pages_fetched));
      expect(Number(now.events_ingested)).toBe(HISTORY + 5);
      expect(await handle.query(statusQuery)).toMatchObject({ errors: 0, eventsIngested: HISTORY + 5 });
      const alerts = await openQuarantineAlerts(db, source.id);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ dedup_key: 'held', details: { held: 2 } });
      expect(alerts[0].title).toBe(`2 events of ${source.name} held in quarantine`);
      expect(alerts[0].message).toContain(`atlassian-audit quarantine --source ${source.name}`);
      const samples = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
      const quarantined = samples.filter((s) => s.name === 'audit_events_quarantined_total' && s.labels.source === source.name);
      expect(quarantined.map((s) => [s.labels.reason, s.value])).toEqual([['implausible_time', 2]]);

      // A second poll of the same window holds nothing twice and opens no second alert.
      simulator.addEvents(org.id, { events: [{ time: '0000-01-01T00:00:00Z' }] });
      await handle.signal(pollNowSignal);
      await eventually(() => heldEvents(db, source.id), (h) => h.length === 3, 30_000, 100);
      expect(await openQuarantineAlerts(db, source.id)).toEqual([expect.objectContaining({ dedup_key: 'held', details: { held: 3 } })]);
      await handle.terminate('test done');
    } finally {
      await worker.stop();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }
  });

  it('holds an over-long id and a conflicting duplicate, stores an identical repeat once, and falls back to savepoints for what PostgreSQL refuses', () =>
    afterBackfill({ seed: 252, count: HISTORY, spanMs: DAY_MS }, async ({ simulator, db, org, source, handle }) => {
      // Base64 of random bytes does not compress below the ~2.7 KB a btree entry holds.
      const longId = randomBytes(3_000).toString('base64');
      const twin = verbatimEvent('twin-event', { actor: { id: 'first', name: 'First' } });
      const conflicting = verbatimEvent('twin-event', { actor: { id: 'second', name: 'Second' } });
      // The schema and JavaScript take February 30th (Date.parse rolls it into March); PostgreSQL refuses it
      // (SQLSTATE 22008). No rule foresees it: only the event-by-event fallback can store the page.
      const february30 = verbatimEvent('february-30', { time: '2025-02-30T10:00:00Z' });
      simulator.addEvents(org.id, { events: [{ id: longId }, { body: twin }, { body: twin }, { body: conflicting }, { body: february30 }] });
      const after = simulator.addEvents(org.id, { count: 3 });
      await handle.signal(pollNowSignal);
      await eventually(() => storedIds(db, source.id, after), (ids) => ids.length === 3, 30_000, 100);

      expect(await storedIds(db, source.id, [longId, 'february-30'])).toEqual([]);
      const { rows: twins } = await db.query<{ actor_id: string }>("SELECT actor_id FROM events WHERE source_id = $1 AND event_id = 'twin-event'", [source.id]);
      expect(twins).toEqual([{ actor_id: 'first' }]);
      const held = await heldEvents(db, source.id);
      expect(held.map((h) => [h.event_id, h.reason])).toEqual([
        [longId.slice(0, 256), 'id_too_long'],
        ['twin-event', 'duplicate_id'],
        ['february-30', 'database'],
      ]);
      expect(JSON.parse(held[0].raw).id).toBe(longId);
      expect(JSON.parse(held[1].raw).attributes.actor.id).toBe('second');
      expect(held[2].detail).toMatch(/SQLSTATE 22008/);
      expect(await countEvents(db, source.id)).toBe(HISTORY + 4);
      expect(await handle.query(statusQuery)).toMatchObject({ errors: 0, eventsIngested: HISTORY + 4 });
      expect(await openQuarantineAlerts(db, source.id)).toEqual([expect.objectContaining({ dedup_key: 'held', details: { held: 3 } })]);
    }));

  it('stores an event whose detection is keyed by an actor id longer than a btree entry holds', () =>
    afterBackfill({ seed: 254, count: HISTORY, spanMs: DAY_MS }, async ({ simulator, db, org, source, handle }) => {
      // The api-token rules key their detections by actor id, and the detections index holds the key.
      const hugeActor = randomBytes(3_000).toString('base64');
      const [revoked] = simulator.addEvents(org.id, { events: [{ action: 'api_token_revoked', actor: { id: hugeActor, name: 'Token Owner' } }] });
      const after = simulator.addEvents(org.id, { count: 3 });
      await handle.signal(pollNowSignal);
      await eventually(() => storedIds(db, source.id, [revoked, ...after]), (ids) => ids.length === 4, 30_000, 100);
      const { rows } = await db.query<{ dedup_key: string }>("SELECT dedup_key FROM detections WHERE source_id = $1 AND rule_id = 'api-token-revoked' AND actor_id = $2", [source.id, hugeActor]);
      expect(rows).toEqual([{ dedup_key: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) }]);
    }, (db, source) => enablePack(db, source.id, 'atlassian-core')));

  it('stores a processedAt far in the future as sent, but never restarts from it after a cursor reset', () =>
    afterBackfill({ seed: 253, count: HISTORY, spanMs: DAY_MS }, async ({ simulator, db, org, source, handle }) => {
      const nextYear = new Date(Date.now() + 365 * DAY_MS).toISOString();
      simulator.addEvents(org.id, { events: [{ body: verbatimEvent('from-the-future', { processedAt: nextYear }) }] });
      await handle.signal(pollNowSignal);
      await eventually(() => storedIds(db, source.id, ['from-the-future']), (ids) => ids.length === 1, 30_000, 100);
      const { rows: [stored] } = await db.query<{ processed_at: Date }>("SELECT processed_at FROM events WHERE source_id = $1 AND event_id = 'from-the-future'", [source.id]);
      expect(stored.processed_at.toISOString()).toBe(nextYear);
      const { rows: [checkpoint] } = await db.query<{ newest_processed_at: Date }>('SELECT newest_processed_at FROM checkpoints WHERE source_id = $1', [source.id]);
      expect(checkpoint.newest_processed_at.getTime()).toBeLessThan(Date.now() + 60_000);

      // Every cursor now expires at once: the source restarts from its newest processedAt, and must find these.
      simulator.setCursorTtl(0);
      const after = simulator.addEvents(org.id, { count: 3 });
      await handle.signal(pollNowSignal);
      await eventually(() => storedIds(db, source.id, after), (ids) => ids.length === 3, 30_000, 100);
    }));
});
