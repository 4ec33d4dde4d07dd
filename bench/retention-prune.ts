import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRUNED_TABLES } from '../contract/store-maintenance';
import { runMain } from '../config/operator-error';
import { startEmbeddedPostgres } from '../scripts/stack/postgres';
import { PRUNE_BATCH_ROWS } from '../activities/store-maintenance';
import { openDatabase, type Database } from '../store/database';
import { migrate } from '../store/migrate';
import { listSourceRetention } from '../store/retention';
import { pruneBatch } from '../store/store-pruning';

// How fast store maintenance prunes the bounded tables, and how long one batch statement holds its locks: a store
// with `rows` rows past their age in each table (and as many younger ones; the old alerts' notices go with them), pruned batch by batch as the maintenance
// activity does. Prints rows/s per table and the slowest batch.
// Usage: npm run bench:retention-prune -- [rows=200000]
// Env: RETENTION_BENCH_PORT (default 55430).

const PORT = Number(process.env.RETENTION_BENCH_PORT ?? 55430);
const AS_OF = new Date('2026-06-15T12:00:00Z');

runMain(async () => {
  const rows = Number(process.argv[2] ?? 200_000);
  // Not mkdtemp: its folder is private, and embedded PostgreSQL runs as the postgres user.
  const dir = path.join(os.tmpdir(), `audit-retention-prune-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: PORT, logFile: path.join(dir, 'postgres.log'), database: 'audit', durable: false });
  const db = openDatabase(server.url, { maxConnections: 2 });
  try {
    await migrate(db);
    const started = Date.now();
    await fill(db, rows);
    console.log(`filled ${rows} old and ${rows} young rows per table in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const cutoffs = (await listSourceRetention(db, AS_OF)).flatMap((s) => (s.cutoff ? [{ sourceId: s.sourceId, cutoff: s.cutoff }] : []));
    for (const table of PRUNED_TABLES) {
      let pruned = 0;
      let slowest = 0;
      const tableStart = Date.now();
      for (;;) {
        const batchStart = process.hrtime.bigint();
        const n = await pruneBatch(db, table, AS_OF, cutoffs, PRUNE_BATCH_ROWS);
        slowest = Math.max(slowest, Number(process.hrtime.bigint() - batchStart) / 1e6);
        pruned += n;
        if (n < PRUNE_BATCH_ROWS) break;
      }
      const seconds = (Date.now() - tableStart) / 1000;
      console.log(`${table.padEnd(18)} pruned ${String(pruned).padStart(8)} rows in ${seconds.toFixed(2)} s (${Math.round(pruned / seconds)} rows/s); slowest batch ${slowest.toFixed(1)} ms`);
    }
  } finally {
    await db.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `rows` rows past their default age and as many younger ones in each pruned table, for one source. */
async function fill(db: Database, rows: number): Promise<void> {
  const { rows: made } = await db.query<{ id: string }>(
    `INSERT INTO sources (name, organization_id, api_key_ciphertext, api_base_url, poll_interval_seconds, silence_window_seconds)
     VALUES ('bench', 'org', '\\x00', 'https://api.atlassian.com', 60, 86400) RETURNING id`,
  );
  const source = made[0].id;
  await db.query(`INSERT INTO checkpoints (source_id, backfill_from) VALUES ($1, now())`, [source]);
  const asOf = AS_OF.toISOString();
  // Old: past every default age; young: a day old.
  for (const [label, age] of [['old', '400 days'], ['young', '1 day']] as const) {
    const at = `'${asOf}'::timestamptz - interval '${age}'`;
    await db.query(
      `INSERT INTO alerts (source_id, kind, dedup_key, status, severity, title, message, opened_at, resolved_at)
       SELECT $1, 'detection', '${label}' || g, 'resolved', 'low', 't', 'm', ${at}, ${at} FROM generate_series(1, $2) g`,
      [source, rows],
    );
    await db.query(
      `INSERT INTO alert_deliveries (alert_id, notice, format, destination_id, status, created_at)
       SELECT a.id, 'resolved', 'webhook', 'env:webhook', 'delivered', ${at} FROM alerts a WHERE a.dedup_key LIKE '${label}%'`,
    );
    await db.query(
      `INSERT INTO detections (source_id, pack_id, rule_id, severity, dedup_key, event_id, event_ids, event_time, actor_id, title)
       SELECT $1, 'p', 'r', 'low', 'k', '${label}' || g, ARRAY['${label}' || g], ${at}, 'actor', 't' FROM generate_series(1, $2) g`,
      [source, rows],
    );
    await db.query(
      `INSERT INTO quarantined_events (source_id, event_id, reason, detail, raw, raw_sha256, quarantined_at, reingested_at)
       SELECT $1, 'e', 'schema', 'd', '{}', '${label}' || g, ${at}, ${at} FROM generate_series(1, $2) g`,
      [source, rows],
    );
    await db.query(`INSERT INTO api_pacing (budget, next_request_at, spacing_until) SELECT '${label}' || g, ${at}, ${at} FROM generate_series(1, $1) g`, [rows]);
    await db.query(
      `INSERT INTO maintenance_runs (workflow_id, run_id, as_of, status, started_at, finished_at)
       SELECT '${label}' || g, 'r', ${at}, 'finished', ${at}, ${at} FROM generate_series(1, $1) g`,
      [rows],
    );
  }
  // Old notices of young alerts: the alert stays, its finished notices go by their own age.
  await db.query(
    `INSERT INTO alert_deliveries (alert_id, notice, format, destination_id, status, created_at)
     SELECT a.id, 'opened', 'webhook', 'env:webhook', 'delivered', '${asOf}'::timestamptz - interval '400 days' FROM alerts a WHERE a.dedup_key LIKE 'young%'`,
  );
  await db.query('ANALYZE');
}
