import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCredentialCipher } from '../activities/credentials';
import { Database, openDatabase } from '../activities/db/database';
import { migrate } from '../activities/db/migrate';
import type { InsertedEventsHook } from '../activities/ingest-page';
import { deleteSource } from '../activities/store/sources';
import { createDetectionHook } from '../detections/engine';
import { DETECTION_PACKS } from '../detections/registry';
import { enablePack, saveDetectionSettings } from '../detections/store';
import { actionFilter } from '../detections/action-filter';
import { ACTIONS } from '../simulator/actions';
import type { EventOverrides } from '../simulator/generator';
import { Random, seedFrom } from '../simulator/prng';
import { startSimulator } from '../simulator/server';
import { DAY_MS, insertBenchSource, median, openBenchDatabase, plainBackfill } from './bench-environment';

// What detections cost the ingest path: full backfills of a simulated organization through the real ingestPage
// activity (HTTP, JSON, schema, one PostgreSQL transaction per page of 500), run in a plain loop, with all packs
// enabled, with none (the hook's one lookup per page), and without the hook, rotated over rounds. Two event mixes:
// - simulator: the simulator's own catalogue weights, where one event in ten is a risky admin action (a detection
//   every ~14 events, so writing detections and their alerts weighs in);
// - typical: the same catalogue with risky admin actions 20 times rarer (half a percent of events), closer to a real
//   organization's log, which is mostly views and logins. Times are spread over the same 6 days.
// PostgreSQL is DATABASE_URL's server (a throwaway database) or an embedded one with fsync off, which makes ingest
// faster and so the detections' share larger: the conservative setting.
// Usage: npm run bench:detections -- [events=100000] [rounds=2]


type Variant = 'no hook' | 'no packs' | 'all packs';
const VARIANTS: Variant[] = ['no packs', 'all packs', 'no hook'];
type Mix = 'simulator' | 'typical';
const MIXES: Mix[] = ['simulator', 'typical'];
/** How much rarer risky admin actions are in the typical mix than in the simulator's catalogue. */
const RISKY_RARITY = 20;

interface Run {
  mix: Mix;
  variant: Variant;
  events: number;
  seconds: number;
  hookSeconds: number;
  detections: number;
}

async function main(): Promise<void> {
  const eventCount = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 2);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'audit-bench-detections-'));
  chmodSync(workDir, 0o755);
  const database = await openBenchDatabase(workDir);
  // An interrupted run must not leave its embedded PostgreSQL running; the connections it cuts may throw meanwhile.
  const stopOnSignal = () => {
    process.on('uncaughtException', () => undefined);
    void database
      .stop()
      .catch(() => undefined)
      .finally(() => {
        rmSync(workDir, { recursive: true, force: true });
        process.exit(130);
      });
  };
  process.once('SIGINT', stopOnSignal).once('SIGTERM', stopOnSignal);
  const db = openDatabase(database.url);
  const simulator = await startSimulator({ seed: 5, orgs: [{ history: { count: eventCount, spanMs: 6 * DAY_MS } }, { history: { count: 0 } }] });
  try {
    await migrate(db);
    await db.query('VACUUM ANALYZE');
    await db.query('CHECKPOINT');
    const [simulatorOrg, typicalOrg] = simulator.orgs;
    simulator.addEvents(typicalOrg.id, { events: typicalMix(eventCount) });
    console.log(`${eventCount} events per backfill over 6 days; ${DETECTION_PACKS.reduce((n, p) => n + p.rules.length, 0)} rules in ${DETECTION_PACKS.length} pack(s)`);
    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const mix of MIXES) {
        const org = mix === 'simulator' ? simulatorOrg : typicalOrg;
        // Rotated per round so that no variant always runs on the warmer process.
        const order = VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length]);
        for (const variant of order) {
          const run = await backfill(db, mix, variant, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, round });
          if (run.events !== eventCount) throw new Error(`${mix} ${variant} ingested ${run.events} events, expected ${eventCount}`);
          runs.push(run);
          console.log(
            `round ${round} ${mix.padEnd(9)} ${variant.padEnd(9)}: ${Math.round(run.events / run.seconds)} events/s (${run.seconds.toFixed(2)} s` +
              (variant === 'no hook' ? ')' : `, ${pct(run.hookSeconds / run.seconds)} of it in the hook, ${run.detections} detections)`),
          );
        }
      }
    }
    // The hook's share of each run's own wall time is the direct measure: it does not move with how busy the machine
    // was during one run or another, which comparing events/s across runs does.
    for (const mix of MIXES) {
      const of = (variant: Variant) => runs.filter((r) => r.mix === mix && r.variant === variant);
      const rate = (variant: Variant) => median(of(variant).map((r) => r.events / r.seconds));
      const share = (variant: Variant) => pct(median(of(variant).map((r) => r.hookSeconds / r.seconds)));
      const detections = of('all packs')[0].detections;
      console.log(
        `${mix} mix: ${detections} detections (one per ${Math.round(eventCount / Math.max(1, detections))} events); ` +
          `detection hook ${share('all packs')} of backfill time with all packs, ${share('no packs')} with none; ` +
          `median events/s: no hook ${Math.round(rate('no hook'))}, no packs ${Math.round(rate('no packs'))}, all packs ${Math.round(rate('all packs'))} ` +
          `(overhead ${pct(1 - rate('all packs') / rate('no packs'))} against no packs, between runs)`,
      );
    }
  } finally {
    await simulator.close();
    await db.close();
    await database.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function backfill(
  db: Database,
  mix: Mix,
  variant: Variant,
  org: { organizationId: string; apiKey: string; apiBaseUrl: string; round: number },
): Promise<Run> {
  const cipher = createCredentialCipher(randomBytes(32));
  const source = await insertBenchSource(db, cipher, `bench-${mix}-${variant.replace(/ /g, '-')}-${org.round}`, org);
  if (variant === 'all packs') {
    for (const pack of DETECTION_PACKS) await enablePack(db, source.id, pack.id);
    await saveDetectionSettings(db, source.id, { allowedInviteDomains: ['acme-corporation.example.com'] });
  }
  let hookSeconds = 0;
  const hook = createDetectionHook();
  const timed: InsertedEventsHook = async (tx, record, rows) => {
    const started = performance.now();
    await hook(tx, record, rows);
    hookSeconds += (performance.now() - started) / 1000;
  };
  const started = performance.now();
  const events = await plainBackfill({ db, cipher, onEventsInserted: variant === 'no hook' ? undefined : timed }, source.id);
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM detections WHERE source_id = $1', [source.id]);
  // Every run starts from the same database: no other run's rows in the indexes, no autovacuum of them mid-run, and no
  // checkpoint writing out the dirty pages of earlier runs.
  await deleteSource(db, source.id);
  await db.query('VACUUM ANALYZE');
  await db.query('CHECKPOINT');
  return { mix, variant, events, seconds, hookSeconds, detections: rows[0].n };
}

/** The simulator's catalogue with the actions that event rules look at made RISKY_RARITY times rarer, in time order. */
function typicalMix(count: number): EventOverrides[] {
  const eventRules = DETECTION_PACKS.flatMap((pack) => pack.rules).filter((rule) => rule.kind === 'event');
  const risky = (action: string) => eventRules.some((rule) => actionFilter(rule.actions).test(action));
  const weights = ACTIONS.map((a) => (risky(a.key) ? a.weight / RISKY_RARITY : a.weight));
  const total = weights.reduce((sum, w) => sum + w, 0);
  const random = new Random(seedFrom(5, 'typical-mix'));
  const start = Date.now() - 6 * DAY_MS;
  return Array.from({ length: count }, (_, i) => {
    let roll = random.next() * total;
    const index = weights.findIndex((w) => (roll -= w) < 0);
    return { action: ACTIONS[index < 0 ? ACTIONS.length - 1 : index].key, time: new Date(start + ((i + 0.5) * 6 * DAY_MS) / count).toISOString() };
  });
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
