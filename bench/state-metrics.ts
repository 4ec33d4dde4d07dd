import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { createStateMetrics } from '../observability/state-metrics';
import { benchWorkDir, median, openBenchDatabase } from './bench-environment';

// What one scrape of a worker's HEALTH_PORT /metrics costs PostgreSQL and the worker when the tables are large:
// every worker runs these queries on every scrape.
const SOURCES = Number(process.env.SOURCES ?? 1_000);
const ALERTS = Number(process.env.ALERTS ?? 50_000);
const SCRAPES = 20;

async function main(): Promise<void> {
  const workDir = benchWorkDir('state-metrics');
  const database = await openBenchDatabase(workDir);
  const db = openDatabase(database.url, { maxConnections: 2 });
  try {
    await migrate(db);
    await db.query(
      `INSERT INTO sources (name, organization_id, api_key_ciphertext, api_base_url, poll_interval_seconds, silence_window_seconds)
       SELECT 'source-' || n, 'org-' || n, '\\x00', 'http://127.0.0.1:1', 60, 86400 FROM generate_series(1, $1) n`,
      [SOURCES],
    );
    await db.query(
      `INSERT INTO checkpoints (source_id, backfill_from, newest_processed_at, last_polled_at)
       SELECT id, now() - interval '7 days', now() - random() * interval '1 hour', now() - random() * interval '1 minute' FROM sources`,
    );
    await db.query(
      `INSERT INTO alerts (source_id, kind, dedup_key, severity, title, message, status, resolved_at)
       SELECT s.id, (ARRAY['silence','credentials','key_expiry','detection'])[1 + n % 4], 'key-' || n, 'low', 't', 'm',
              CASE WHEN n % 2 = 0 THEN 'open' ELSE 'resolved' END, CASE WHEN n % 2 = 0 THEN NULL ELSE now() END
         FROM generate_series(1, $1) n JOIN LATERAL (SELECT id FROM sources OFFSET (n % $2) LIMIT 1) s ON true`,
      [ALERTS, SOURCES],
    );
    await db.query(
      `INSERT INTO alert_deliveries (alert_id, notice, format, destination_id, status)
       SELECT id, 'opened', 'webhook', 'env:webhook', (ARRAY['pending','delivered','delivered','failed'])[1 + id % 4] FROM alerts`,
    );
    await db.query('ANALYZE');

    const registry = createStateMetrics(db);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const startedAt = performance.now();
      bytes = (await registry.metrics()).length;
      times.push(performance.now() - startedAt);
    }
    process.stdout.write(
      `${SOURCES} sources, ${ALERTS} alerts (${ALERTS / 2} open), ${ALERTS} deliveries: ` +
        `one scrape ${median(times).toFixed(1)} ms median, ${Math.max(...times).toFixed(1)} ms max over ${SCRAPES}; ${(bytes / 1024).toFixed(0)} KiB of exposition\n`,
    );
  } finally {
    await db.close();
    await database.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
