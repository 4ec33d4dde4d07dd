import type { EventRow } from '../../atlassian/normalize';
import { createThrowawayDatabase, type RunningDatabase } from '../../scripts/stack/postgres';
import { openDatabase, type Database } from '../../store/database';
import { insertEvents } from '../../store/events';
import { countEventsBySource, countOldEvents, moveUnpartitionedEvents } from '../../store/event-upgrade';
import { migrate } from '../../store/migrate';
import { requiredEnv } from '../../harness/env';
import { refusal, runCli } from '../cli/run-cli';

// The upgrade from the previous release (schema through 010): its events sit in one table; 012 partitions the table
// and the move runs in batches while a writer goes on ingesting, re-sending some events not yet moved.

const PREVIOUS_RELEASE = '010_detection_groups.sql';
const SOURCES = ['drill-a', 'drill-b', 'drill-c'];
const EVENTS_PER_SOURCE = 1_200;

let database: RunningDatabase;
let db: Database;
beforeAll(async () => {
  database = await createThrowawayDatabase(requiredEnv('DATABASE_URL'), `upgrade_drill_${process.pid}_${Date.now()}`);
  db = openDatabase(database.url, { maxConnections: 4 });
});
afterAll(async () => {
  await db?.close();
  await database?.stop();
});

/** What the previous release stored: events over five months per source, checkpoints, a detection. */
async function fillPreviousRelease(): Promise<void> {
  for (const name of SOURCES) {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO sources (name, organization_id, api_key_ciphertext, api_base_url, poll_interval_seconds, silence_window_seconds)
       VALUES ($1, 'org', '\\x'::bytea, 'https://api.atlassian.com', 60, 3600) RETURNING id`,
      [name],
    );
    const id = rows[0].id;
    await db.query(`INSERT INTO checkpoints (source_id, backfill_from, events_ingested) VALUES ($1, now() - interval '150 days', $2)`, [id, EVENTS_PER_SOURCE]);
    await db.query(
      `INSERT INTO events (source_id, event_id, event_time, processed_at, action, actor_id, ip, location, p_event_time, p_source_label, raw)
       SELECT $1, $2 || '-' || g, t, t, 'user_login', 'actor-' || (g % 7), '192.0.2.' || (g % 200), '{"countryName": "France"}', t, $2,
              jsonb_build_object('id', $2 || '-' || g, 'attributes', jsonb_build_object('time', t))
         FROM generate_series(1, $3::int) g, LATERAL (SELECT now() - (g * interval '150 days' / $3) AS t) v`,
      [id, name, EVENTS_PER_SOURCE],
    );
    await db.query(
      `INSERT INTO detections (source_id, pack_id, rule_id, severity, dedup_key, event_id, event_ids, event_time, actor_id, title)
       VALUES ($1, 'core', 'login-from-new-country', 'medium', 'actor-1', $2, ARRAY[$2], now() - interval '3 days', 'actor-1', 'a detection')`,
      [id, `${name}-5`],
    );
  }
}

function row(eventId: string, eventTime: Date): EventRow {
  const time = eventTime.toISOString();
  return { eventId, eventTime: time, processedAt: time, action: 'user_login', actorId: 'writer', actorName: null, actorEmail: null, ip: null, location: null, anyIpAddresses: [], anyEmails: [], anyUsernames: [], raw: JSON.stringify({ id: eventId, attributes: { time } }) };
}

it('moves the previous release events in resumable batches while a writer ingests, losing and doubling none', async () => {
  await migrate(db, { through: PREVIOUS_RELEASE });
  await fillPreviousRelease();
  const { rows: previous } = await db.query<{ source_id: string; event_id: string; event_time: Date }>('SELECT source_id, event_id, event_time FROM events ORDER BY 1, 2');
  const sourceIds = new Map((await db.query<{ id: string; name: string }>('SELECT id, name FROM sources')).rows.map((r) => [r.name, r.id]));

  expect(await migrate(db)).toEqual(expect.arrayContaining(['012_event_partitions.sql']));
  const before = await countEventsBySource(db);
  expect([...before.values()]).toEqual(SOURCES.map(() => EVENTS_PER_SOURCE));
  expect(await countOldEvents(db)).toBe(EVENTS_PER_SOURCE * SOURCES.length);

  // The writer: each page one new event and one re-sent event of the previous release, as a restarted source would.
  let written = 0;
  let writing = true;
  const resentStored: string[] = [];
  const writer = (async () => {
    for (let page = 0; writing || page < 5; page++) {
      const name = SOURCES[page % SOURCES.length];
      const old = previous.filter((p) => p.source_id === sourceIds.get(name))[(page * 37) % EVENTS_PER_SOURCE];
      const result = await db.withTransaction((tx) => insertEvents(tx, sourceIds.get(name)!, name, [row(`${name}-new-${page}`, new Date()), row(old.event_id, old.event_time)]));
      written += result.insertedIds.filter((id) => id.includes('-new-')).length;
      resentStored.push(...result.insertedIds.filter((id) => !id.includes('-new-')));
    }
  })();

  // A first process moves three batches and stops; a second one, with connections of its own, finishes.
  for (let i = 0; i < 3; i++) expect((await moveUnpartitionedEvents(db, 250)).moved).toBe(250);
  const restarted = openDatabase(database.url, { maxConnections: 2 });
  try {
    let remaining = Infinity;
    while (remaining > 0) remaining = (await moveUnpartitionedEvents(restarted, 250)).remaining;
    await moveUnpartitionedEvents(restarted, 250);
  } finally {
    await restarted.close();
  }
  writing = false;
  await writer;

  expect(resentStored).toEqual([]);
  const { rows: gone } = await db.query(`SELECT to_regclass('events_unpartitioned') AS t`);
  expect(gone[0].t).toBeNull();
  const after = await countEventsBySource(db);
  expect([...after.values()].reduce((a, b) => a + b, 0)).toBe(EVENTS_PER_SOURCE * SOURCES.length + written);
  const { rows: doubled } = await db.query('SELECT source_id, event_id FROM events GROUP BY 1, 2 HAVING count(*) > 1');
  expect(doubled).toEqual([]);
  const { rows: kept } = await db.query<{ source_id: string; event_id: string; event_time: Date }>(
    `SELECT source_id, event_id, event_time FROM events WHERE event_id NOT LIKE '%-new-%' ORDER BY 1, 2`,
  );
  expect(kept).toEqual(previous);
  // Every event has a seq, unique within its source: outputs read by it.
  const { rows: seqs } = await db.query<{ n: number; distinct_seqs: number }>('SELECT count(seq)::int AS n, count(DISTINCT (source_id, seq))::int AS distinct_seqs FROM events');
  expect(seqs[0]).toEqual({ n: EVENTS_PER_SOURCE * SOURCES.length + written, distinct_seqs: EVENTS_PER_SOURCE * SOURCES.length + written });
  // Readers kept working: the detection is there, and the new-country lookup reads the moved events.
  const { rows: facts } = await db.query<{ detections: number; seen: boolean }>(
    `SELECT (SELECT count(*)::int FROM detections) AS detections,
            detection_country_seen($1, 'France', now() - interval '30 days', now()) AS seen`,
    [sourceIds.get('drill-a')],
  );
  expect(facts[0]).toEqual({ detections: 3, seen: true });
});

it('refuses to start, in one line naming the file, when an applied migration was changed', async () => {
  await migrate(db);
  await db.query(`UPDATE schema_migrations SET sha256 = repeat('0', 64) WHERE name = '003_detections.sql'`);
  try {
    await expect(migrate(db)).rejects.toThrow(/^migration 003_detections\.sql was changed after it was applied/);
    const line = refusal(await runCli(['list'], { env: { DATABASE_URL: database.url, TEMPORAL_ADDRESS: '127.0.0.1:9', CREDENTIALS_KEY: Buffer.alloc(32, 3).toString('base64') } }));
    expect(line).toMatch(/migration 003_detections\.sql was changed after it was applied/);
  } finally {
    await db.query(`UPDATE schema_migrations SET sha256 = NULL WHERE name = '003_detections.sql'`);
  }
  // A row without a checksum (written before they were kept) takes the file's on the next run.
  expect(await migrate(db)).toEqual([]);
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM schema_migrations WHERE sha256 IS NULL`);
  expect(rows[0].n).toBe(0);
});
