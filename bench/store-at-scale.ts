import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMain } from '../config/operator-error';
import { startEmbeddedPostgres, type RunningDatabase } from '../scripts/stack/postgres';
import { openDatabase, type Database } from '../store/database';
import { dropEventMonth } from '../store/event-partitions';
import { migrate } from '../store/migrate';

// A store of many events, generated on this machine straight into the partitioned table (generate_series, no API,
// no worker): realistic columns and raw bodies of about the size the API serves. Prints how long building took, the
// time to drop one month of one source, and the disk per million events (table and indexes over every partition).
// The store is kept (its folder and port below) and built once: later runs measure again on it. `serve` starts its
// PostgreSQL and keeps it up, for other measurements on the same store (an erasure).
// Usage: npm run bench:store -- [events=20000000] [sources=10] [months=24]
//        npm run bench:store -- serve
//        npm run bench:store -- measure [events of the dropped month]   (on the store a build or `serve` runs)
// Durable, since a throwaway embedded cluster is deleted when it stops.
// Env: STORE_BENCH_DIR (default <tmp>/audit-store-at-scale), STORE_BENCH_PORT (default 55420).

const DIR = process.env.STORE_BENCH_DIR ?? path.join(os.tmpdir(), 'audit-store-at-scale');
const PORT = Number(process.env.STORE_BENCH_PORT ?? 55420);

runMain(async () => {
  if (process.argv[2] === 'serve') return serve();
  if (process.argv[2] === 'measure') return measureServed(Number(process.argv[3] ?? 83_334));
  const events = Number(process.argv[2] ?? 20_000_000);
  const sources = Number(process.argv[3] ?? 10);
  const months = Number(process.argv[4] ?? 24);
  const server = await startServer();
  const db = openDatabase(server.url, { maxConnections: 2 });
  try {
    await migrate(db);
    await buildStore(db, events, sources, months);
    await measureDrop(db, Math.round(events / sources / months));
    await measureDisk(db);
    console.log(`store kept in ${DIR}: \`npm run bench:store -- serve\` serves it at ${server.url}`);
  } finally {
    await db.close();
    await server.stop();
  }
});

/** The measurements alone, on the store as served now (by `serve`, or by a build still running). */
async function measureServed(perMonth: number): Promise<void> {
  const db = openDatabase(`postgres://audit:audit@127.0.0.1:${PORT}/audit_store`, { maxConnections: 2 });
  try {
    await measureDrop(db, perMonth);
    await measureDisk(db);
  } finally {
    await db.close();
  }
}

async function serve(): Promise<void> {
  const server = await startServer();
  console.log(`serving the store at ${server.url} until stopped (Ctrl-C)`);
  await new Promise<never>(() => undefined);
}

function startServer(): Promise<RunningDatabase> {
  mkdirSync(DIR, { recursive: true });
  return startEmbeddedPostgres({ dataDir: path.join(DIR, 'pg'), port: PORT, logFile: path.join(DIR, 'postgres.log'), database: 'audit_store', durable: true });
}

/** Sources bench-store-0..n-1, each with `months` months of events ending last month, inserted month by month. */
async function buildStore(db: Database, events: number, sourceCount: number, months: number): Promise<void> {
  const stored = async () => Number((await db.query<{ n: string }>(`SELECT coalesce(sum(events_sequenced), 0) AS n FROM checkpoints c JOIN sources s ON s.id = c.source_id WHERE s.name LIKE 'bench-store-%'`)).rows[0].n);
  const already = await stored();
  if (already >= events) {
    console.log(`store already built: ${already} events in ${DIR}`);
    return;
  }
  // Each month commits whole: a build stopped half way goes on from the months that are there.
  const perMonth = Math.ceil(events / sourceCount / months);
  const started = performance.now();
  let inserted = 0;
  for (let s = 0; s < sourceCount; s++) {
    const name = `bench-store-${s}`;
    const sourceId = await benchSource(db, name, months + 2);
    for (let m = months; m >= 1; m--) {
      if (await monthExists(db, sourceId, monthStart(-m))) continue;
      inserted += await fillMonth(db, sourceId, name, monthStart(-m), perMonth);
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(`\rbuilding: ${already + inserted} events, ${seconds.toFixed(0)} s (${Math.round(inserted / seconds)} events/s)   `);
    }
  }
  // Statistics by sampling; a VACUUM would read the whole store again, which measures nothing here.
  await db.query('ANALYZE events');
  console.log(`\nbuilt ${inserted} events (${sourceCount} sources x ${months} months, ${already} there before) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

async function monthExists(db: Database, sourceId: string, start: Date): Promise<boolean> {
  const { rows } = await db.query<{ exists: boolean }>('SELECT to_regclass(event_month_name($1, $2::date)) IS NOT NULL AS exists', [sourceId, start.toISOString().slice(0, 10)]);
  return rows[0].exists;
}

async function benchSource(db: Database, name: string, backfillMonths: number): Promise<string> {
  const { rows: found } = await db.query<{ id: string }>('SELECT id FROM sources WHERE name = $1', [name]);
  if (found.length) return found[0].id;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO sources (name, organization_id, api_key_ciphertext, api_base_url, poll_interval_seconds, silence_window_seconds, backfill_days)
     VALUES ($1, 'bench-org', '\\x'::bytea, 'https://api.atlassian.com', 60, 86400, 0) RETURNING id`,
    [name],
  );
  await db.query(`INSERT INTO checkpoints (source_id, backfill_from) VALUES ($1, now() - make_interval(months => $2))`, [rows[0].id, backfillMonths]);
  return rows[0].id;
}

/**
 * `count` events spread over the month starting at `start`, with seqs from the source's counter. The month's table is
 * filled before it is attached, so its indexes are built once by sorting, not row by row: a faster build of the same
 * store, not the ingest path (bench:backfill measures that).
 */
async function fillMonth(db: Database, sourceId: string, label: string, start: Date, count: number): Promise<number> {
  return db.withTransaction(async (tx) => {
    const { rows } = await tx.query<{ base: string; leaf: string; parent: string }>(
      `UPDATE checkpoints SET events_sequenced = events_sequenced + $2, events_ingested = events_ingested + $2 WHERE source_id = $1
       RETURNING events_sequenced - $2 AS base, event_month_name($1, $3::date) AS leaf, event_partition_name($1) AS parent`,
      [sourceId, count, start.toISOString().slice(0, 10)],
    );
    const { base, leaf, parent } = rows[0];
    await tx.query('SELECT create_event_source_partition($1)', [sourceId]);
    await tx.query(`CREATE TABLE "${leaf}" (LIKE events INCLUDING DEFAULTS INCLUDING GENERATED)`);
    const result = await tx.query(
      `INSERT INTO "${leaf}" (source_id, event_id, event_time, processed_at, action, actor_id, actor_name, actor_email, ip, location,
                             p_event_time, p_source_label, p_any_ip_addresses, p_any_emails, p_any_usernames, raw, seq)
       SELECT $1::uuid, v.id, v.t, v.t + interval '3 seconds', v.action, v.actor, v.name, v.email, v.ip, v.location::jsonb,
              v.t, $2, ARRAY[v.ip], ARRAY[v.email], ARRAY[v.name],
              format('{"id":"%1$s","type":"events","attributes":{"time":"%2$s","processedAt":"%2$s","action":"%3$s",'
                     '"actor":{"id":"%4$s","name":"%5$s","email":"%6$s","links":{"self":"https://api.atlassian.com/users/%4$s/manage/profile"}},'
                     '"context":[{"id":"%4$s","type":"User","attributes":{"name":"%5$s","email":"%6$s"}}],'
                     '"container":[{"id":"bench-org","type":"ATLASSIAN_ORGANIZATION","attributes":{"siteHostName":"bench.atlassian.net"}}],'
                     '"location":%7$s},"message":{"content":"%3$s performed by %5$s","format":"simple"},'
                     '"links":{"self":"https://api.atlassian.com/admin/v1/orgs/bench-org/events/%1$s"}}',
                     v.id, v.t, v.action, v.actor, v.name, v.email, v.location)::jsonb,
              $5::bigint + g
         FROM generate_series(1, $4::int) g,
              LATERAL (SELECT md5($1::text || ':' || $3::text || ':' || g)::uuid::text AS id,
                              $3::timestamptz + ((g - 1)::float8 / $4) * interval '27 days' AS t,
                              (ARRAY['user_login', 'user_logout', 'user_added_to_group', 'api_token_created', 'policy_updated', 'user_granted_role'])[1 + g % 6] AS action,
                              'acct-' || (g % 5000) AS actor, 'Person ' || (g % 5000) AS name, 'person' || (g % 5000) || '@example.com' AS email,
                              '198.51.' || (g % 200) || '.' || (g % 250) AS ip,
                              format('{"ip":"198.51.%s.%s","geo":"Lyon, France","countryName":"%s","city":"Lyon"}', g % 200, g % 250,
                                     (ARRAY['France', 'Germany', 'Japan', 'Brazil'])[1 + g % 4]) AS location) v`,
      [sourceId, label, start, count, base],
    );
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    await tx.query(`ALTER TABLE "${parent}" ATTACH PARTITION "${leaf}" FOR VALUES FROM ('${start.toISOString()}') TO ('${end.toISOString()}')`);
    return result.rowCount ?? 0;
  });
}

/** One month more of the first source, older than the rest, made and filled, then dropped and timed. */
async function measureDrop(db: Database, perMonth: number): Promise<void> {
  const { rows } = await db.query<{ id: string }>(`SELECT s.id FROM sources s WHERE s.name = 'bench-store-0'`);
  const target = monthStart(-60);
  const month = target.toISOString().slice(0, 7);
  await fillMonth(db, rows[0].id, 'bench-store-0', target, perMonth);
  const started = performance.now();
  const dropped = await dropEventMonth(db, rows[0].id, month);
  const seconds = (performance.now() - started) / 1000;
  // The source's count of stored events stays the number of its rows, which the disk figure divides by.
  await db.query('UPDATE checkpoints SET events_ingested = events_ingested - $2 WHERE source_id = $1', [rows[0].id, dropped?.rows ?? 0]);
  console.log(`drop one month (${dropped?.rows} events of one source, counted, detached CONCURRENTLY, dropped): ${seconds.toFixed(2)} s`);
}

async function measureDisk(db: Database): Promise<void> {
  const { rows } = await db.query<{ bytes: string; tables: string; indexes: string; leaves: number }>(
    `SELECT sum(pg_total_relation_size(c.oid)) AS bytes, sum(pg_table_size(c.oid)) AS tables, sum(pg_indexes_size(c.oid)) AS indexes,
            count(*)::int AS leaves
       FROM pg_partition_tree('events') t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf`,
  );
  // Counted as generated (each month's rows add to its source's count): a count(*) would read the whole store.
  const { rows: counted } = await db.query<{ n: string }>(`SELECT sum(c.events_ingested) AS n FROM checkpoints c JOIN sources s ON s.id = c.source_id WHERE s.name LIKE 'bench-store-%'`);
  const n = Number(counted[0].n);
  const mb = (bytes: string) => ((Number(bytes) / n) * 1e6) / 1024 / 1024;
  console.log(`events: ${n} in ${rows[0].leaves} month partitions`);
  console.log(`disk per million events: ${mb(rows[0].bytes).toFixed(0)} MiB (table with TOAST ${mb(rows[0].tables).toFixed(0)} MiB, indexes ${mb(rows[0].indexes).toFixed(0)} MiB)`);
}

function monthStart(offset: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}
