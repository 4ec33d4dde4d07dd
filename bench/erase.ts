import { randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';
import { createCredentialCipher } from '../store/credentials';
import { openDatabase, type Database } from '../store/database';
import { erasePerson, type ErasureRequest } from '../store/erasure/erase-person';
import { createErasureHasher } from '../store/erasure/erasure-keys';
import { MAY_CONCERN_PERSON } from '../store/erasure/find-person';
import { migrate } from '../store/migrate';
import { benchWorkDir, insertBenchSource, median, openBenchDatabase } from './bench-environment';

// Erasing one person from a store of generated events: how long finding their events takes by a full scan (as
// migrated) and with the indexes that would serve it, and how long a dry run, an erasure and a second run take. Every event names an actor and, in its context, one other user; the person is one user in `users`.
// The ingest side: pages of 500 generated events inserted with and without those indexes, alternated, each round in a
// transaction that is rolled back.
// Usage: npm run bench:erase -- [events=1000000] [users=50]
// DATABASE_URL_OF_STORE points it at an existing store instead (it erases the actor of that store's newest event).

const CHUNK = 100_000;
const INSERT_PAGE = 500;
const INSERT_ROUND = 25_000;
/** The indexes that would serve MAY_CONCERN_PERSON (migration 015 makes none): measured, then rolled back. */
const ERASURE_INDEXES = [
  'CREATE INDEX bench_events_actor ON events (actor_id)',
  'CREATE INDEX bench_events_any_emails ON events USING gin (lowercase_all(p_any_emails))',
];

async function main(): Promise<void> {
  const eventCount = Number(process.argv[2] ?? 1_000_000);
  const users = Number(process.argv[3] ?? 50);
  const existing = process.env.DATABASE_URL_OF_STORE;
  const pg = existing ? undefined : await openBenchDatabase(benchWorkDir('erase'));
  const db = openDatabase(existing ?? pg!.url, { maxConnections: 4 });
  try {
    await migrate(db);
    const accountId = existing ? await newestActor(db) : await generateStore(db, eventCount, users);
    const { rows } = await db.query<{ events: string; table_mb: string }>(
      `SELECT (SELECT count(*) FROM events) AS events, round((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('events')) / 1048576.0) AS table_mb`,
    );
    console.log(`${rows[0].events} events, ${rows[0].table_mb} MB with indexes`);
    if (!existing) {
      const rates: Record<'with' | 'without', number[]> = { with: [], without: [] };
      for (let round = 0; round < 4; round++) {
        const indexes = round % 2 === 0 ? 'without' : 'with';
        rates[indexes].push(await timeInserts(db, eventCount + round * INSERT_ROUND, users, indexes === 'with'));
      }
      console.log(`inserting pages of ${INSERT_PAGE}: ${Math.round(median(rates.without))} events/s as migrated, ${Math.round(median(rates.with))} with the two indexes`);
    }
    for (const indexes of [true, false]) console.log(`finding the person's events, ${indexes ? 'by index' : 'full scan'}: ${(await timeFind(db, accountId, indexes)).toFixed(2)} s`);
    const hasher = createErasureHasher([randomBytes(32)]);
    const request = (dryRun: boolean): ErasureRequest => ({ key: { kind: 'account_id', value: accountId }, requestedBy: 'bench', reason: null, sources: null, dryRun });
    for (const [what, dryRun] of [['dry run', true], ['erasure', false], ['second run', false]] as const) {
      const started = performance.now();
      const outcome = await erasePerson(db, hasher, request(dryRun));
      console.log(`${what.padEnd(10)}: ${((performance.now() - started) / 1000).toFixed(2)} s, ${outcome.redactedRows} rows ${dryRun ? 'to redact' : 'redacted'} ${JSON.stringify(outcome.counts)}`);
    }
  } finally {
    await db.close();
    await pg?.stop();
  }
}

/** Events of `users` people, each the actor of one in `users` and named in the context of as many. */
async function generateStore(db: Database, eventCount: number, users: number): Promise<string> {
  const source = await insertBenchSource(db, createCredentialCipher(randomBytes(32)), 'bench-erase', { organizationId: 'org', apiKey: 'unused', apiBaseUrl: 'http://127.0.0.1:1' });
  for (let start = 0; start < eventCount; start += CHUNK) await insertGenerated(db.pool, source.id, start, Math.min(start + CHUNK, eventCount) - 1, users);
  await db.query('VACUUM ANALYZE events');
  return 'account-7';
}

/** Events/s of inserting INSERT_ROUND events in pages, undone afterwards. */
async function timeInserts(db: Database, from: number, users: number, indexes: boolean): Promise<number> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM sources WHERE name = 'bench-erase'");
  return db.withTransaction(async (tx) => {
    if (indexes) for (const sql of ERASURE_INDEXES) await tx.query(sql);
    const started = performance.now();
    for (let start = from; start < from + INSERT_ROUND; start += INSERT_PAGE) await insertGenerated(tx, rows[0].id, start, start + INSERT_PAGE - 1, users);
    const rate = INSERT_ROUND / ((performance.now() - started) / 1000);
    // Undone, so that each round starts from the same store; withTransaction then commits an empty transaction.
    await tx.query('ROLLBACK; BEGIN');
    return rate;
  });
}

async function insertGenerated(q: Pick<PoolClient, 'query'>, sourceId: string, first: number, last: number, users: number): Promise<void> {
  await q.query(
      `INSERT INTO events (source_id, p_source_label, event_id, event_time, processed_at, action, actor_id, actor_name, actor_email, ip,
                          location, p_event_time, p_any_ip_addresses, p_any_emails, p_any_usernames, raw)
       SELECT $1, 'bench-erase', 'event-' || g, t, t, 'user_granted_role', a.id, a.name, a.email, ip, loc, t, ARRAY[ip],
              ARRAY[a.email, c.email], ARRAY[a.name, c.name],
              jsonb_build_object('id', 'event-' || g, 'type', 'events', 'attributes', jsonb_build_object(
                'time', t, 'processedAt', t, 'action', 'user_granted_role',
                'actor', jsonb_build_object('id', a.id, 'name', a.name, 'email', a.email),
                'context', jsonb_build_array(jsonb_build_object('id', c.id, 'type', 'users', 'attributes', jsonb_build_object('name', c.name, 'email', c.email))),
                'container', jsonb_build_array(jsonb_build_object('id', 'org', 'type', 'organization', 'attributes', jsonb_build_object('name', 'Bench Org'))),
                'location', loc))
         FROM generate_series($2::int, $3::int) g,
              LATERAL (SELECT timestamptz '2026-01-01' + g * interval '1 second' AS t, '10.' || (g % 250) || '.' || (g / 250 % 250) || '.7' AS ip) w,
              LATERAL (SELECT jsonb_build_object('ip', w.ip, 'geo', 'Paris, France', 'countryName', 'France') AS loc) l,
              LATERAL (SELECT 'account-' || (g % $4) AS id, 'User Number ' || (g % $4) AS name, 'user' || (g % $4) || '@Example.com' AS email) a,
              LATERAL (SELECT 'account-' || ((g + 1) % $4) AS id, 'User Number ' || ((g + 1) % $4) AS name, 'user' || ((g + 1) % $4) || '@example.com' AS email) c`,
      [sourceId, first, last, users],
  );
}

async function newestActor(db: Database): Promise<string> {
  const { rows } = await db.query<{ actor_id: string }>('SELECT actor_id FROM events ORDER BY event_time DESC LIMIT 1');
  return rows[0].actor_id;
}

/** The query that lists the candidates of an erasure, with the indexes (made, then rolled back) or by a full scan. */
async function timeFind(db: Database, accountId: string, indexes: boolean): Promise<number> {
  return db.withTransaction(async (tx) => {
    if (indexes) for (const sql of ERASURE_INDEXES) await tx.query(sql);
    const started = performance.now();
    await tx.query(
      `SELECT e.source_id, e.event_id, e.event_time FROM events e
        WHERE $1::uuid[] IS NULL AND ${MAY_CONCERN_PERSON}`,
      [null, [accountId], [`${accountId.replace('account-', 'user')}@example.com`]],
    );
    const seconds = (performance.now() - started) / 1000;
    await tx.query('ROLLBACK; BEGIN');
    return seconds;
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
