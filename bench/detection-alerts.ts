import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createCredentialCipher } from '../store/credentials';
import { Database, openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { createDetectionHook } from '../detections/engine';
import { enablePack } from '../detections/store';
import { DETECTION_PACKS } from '../detections/registry';
import { DEFAULT_DETECTION_SETTINGS, groupPeriodSeconds, Rule } from '../detections/rule';
import { formatDuration } from '../contract/durations';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV } from '../config/api-base-urls';
import { startSimulator } from '../harness/simulator';
import { benchWorkDir, DAY_MS, insertBenchSource, openBenchDatabase, plainBackfill } from './bench-environment';

// How many detection alerts a backfill opens, per rule: the alert fatigue grouping is for. Two organizations of the
// simulator, each backfilled through the real ingestPage activity with the atlassian-core pack enabled and no
// setting changed, as `add --detection-packs atlassian-core` does:
// - demo: `make demo`'s organization (seed 2024, 5,000 events over 6 days), whose whole history the demo's source
//   backfills within its first minute;
// - held-out: another seed's 30,000 events over the simulator's default week, with its default risk mix.
// Also checks the grouping's promise: at most one alert per rule, subject and period (no two alerts of one rule and
// subject open within its period of each other, as nobody resolves any here). Usage: npx tsx bench/detection-alerts.ts

const ORGS = [
  { name: 'demo', seed: 2024, history: { count: 5_000, spanMs: 6 * DAY_MS } },
  { name: 'held-out', seed: 31, history: { count: 30_000, spanMs: 7 * DAY_MS } },
];

async function main(): Promise<void> {
  const workDir = benchWorkDir('detection-alerts');
  const database = await openBenchDatabase(workDir);
  const db = openDatabase(database.url);
  process.env[ALLOW_INSECURE_LOOPBACK_HTTP_ENV] = 'true';
  try {
    await migrate(db);
    for (const org of ORGS) {
      const simulator = await startSimulator({ seed: org.seed, orgs: [{ name: org.name, history: org.history }] });
      try {
        const [simulated] = simulator.orgs;
        const cipher = createCredentialCipher(randomBytes(32));
        const source = await insertBenchSource(db, cipher, org.name, { organizationId: simulated.id, apiKey: simulated.keys.valid, apiBaseUrl: simulator.url });
        await enablePack(db, source.id, 'atlassian-core');
        const events = await plainBackfill({ db, cipher, onEventsInserted: createDetectionHook() }, source.id);
        const { rows } = await db.query<{ rule: string; detections: number; alerts: number; subjects: number }>(
          `SELECT d.rule_id AS rule, count(*)::int AS detections, count(DISTINCT d.alert_id)::int AS alerts, count(DISTINCT a.group_key)::int AS subjects
             FROM detections d JOIN alerts a ON a.id = d.alert_id WHERE d.source_id = $1 GROUP BY d.rule_id ORDER BY d.rule_id`,
          [source.id],
        );
        const total = (field: 'detections' | 'alerts' | 'subjects') => rows.reduce((n, row) => n + row[field], 0);
        console.log(`${org.name}: ${events} events, ${total('detections')} detections, ${total('alerts')} alerts (${total('subjects')} rule-subject pairs)`);
        for (const row of rows) {
          const period = groupPeriodSeconds(findRule(row.rule), DEFAULT_DETECTION_SETTINGS);
          console.log(
            `  ${row.rule.padEnd(32)} ${String(row.detections).padStart(6)} detections ${String(row.alerts).padStart(4)} alerts ` +
              `${String(row.subjects).padStart(4)} subjects, period ${formatDuration(period)}`,
          );
        }
        const sooner = await alertsWithinPeriod(db, source.id, rows.map((row) => row.rule));
        console.log(`  alerts of one rule and subject opened within its period of the previous one: ${sooner}`);
      } finally {
        await simulator.close();
      }
    }
  } finally {
    await db.close();
    await database.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function findRule(ruleId: string): Rule {
  return DETECTION_PACKS.flatMap((pack) => pack.rules).find((rule) => rule.id === ruleId)!;
}

/** Alerts of one rule and subject whose first events lie within the rule's period of the previous alert's. */
async function alertsWithinPeriod(db: Database, sourceId: string, ruleIds: string[]): Promise<number> {
  const periods = ruleIds.map((ruleId) => ({ ruleId, seconds: groupPeriodSeconds(findRule(ruleId), DEFAULT_DETECTION_SETTINGS) }));
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT a.first_event_at - lag(a.first_event_at) OVER (PARTITION BY a.group_key ORDER BY a.first_event_at) AS gap, p.seconds
         FROM alerts a JOIN jsonb_to_recordset($2::jsonb) AS p("ruleId" text, seconds integer) ON a.details ->> 'ruleId' = p."ruleId"
        WHERE a.source_id = $1 AND a.kind = 'detection') g
      WHERE g.gap < make_interval(secs => g.seconds)`,
    [sourceId, JSON.stringify(periods)],
  );
  return rows[0].n;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
