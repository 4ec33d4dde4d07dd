import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createCredentialCipher } from '../store/credentials';
import { Database, openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import type { InsertedEventsHook } from '../store/events';
import { deleteSource } from '../store/sources';
import { createDetectionHook } from '../detections/engine';
import { DETECTION_PACKS } from '../detections/registry';
import { enablePack, saveDetectionSettings } from '../detections/store';
import { actionFilter } from '../detections/action-filter';
import { ACTIONS } from '../simulator/actions';
import type { EventOverrides } from '../simulator/generator';
import { Random, seedFrom } from '../simulator/prng';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV } from '../config/api-base-urls';
import { startSimulator } from '../harness/simulator';
import { benchWorkDir, DAY_MS, insertBenchSource, median, openBenchDatabase, settleStore, steppedBackfill } from './bench-environment';

// What detections cost the ingest path: 100,000-event backfills of a simulated organization through the real
// ingestPage activity (HTTP, JSON, schema, one PostgreSQL transaction per page of 500) in a plain loop, three at a
// time: without the page hook, with the hook and no pack enabled, and with all packs. The three run interleaved, a
// few pages each in turn (the order rotated per round), and each is timed only while it runs: the machine's speed
// drifts by more than the effect measured here between runs of several seconds, but not within a turn.
// Two event mixes:
// - simulator: the simulator's own catalogue weights, where one event in ten is a risky admin action (a detection
//   every ~17 events, so writing detections and their alerts weighs in);
// - typical: the same catalogue with risky admin actions 20 times rarer (half a percent of events), closer to a real
//   organization's log, which is mostly views and logins. Times are spread over the same 6 days.
// PostgreSQL is DATABASE_URL's server (a throwaway database) or an embedded one with fsync off, which makes ingest
// faster and so the detections' share larger: the conservative setting.
// Usage: npm run bench:detections -- [events=100000] [rounds=3]

type Variant = 'no hook' | 'no packs' | 'all packs';
const VARIANTS: Variant[] = ['no packs', 'all packs', 'no hook'];
type Mix = 'simulator' | 'typical';
const MIXES: Mix[] = ['simulator', 'typical'];
/** How much rarer risky admin actions are in the typical mix than in the simulator's catalogue. */
const RISKY_RARITY = 20;
/** Pages each backfill runs per turn: about a second, short against the machine's drift. */
const PAGES_PER_TURN = 20;

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
  const rounds = Number(process.argv[3] ?? 3);
  const workDir = benchWorkDir('detections');
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
  // The simulator answers on loopback http and allow-lists itself for the ingest activity of this process.
  process.env[ALLOW_INSECURE_LOOPBACK_HTTP_ENV] = 'true';
  const simulator = await startSimulator({ seed: 5, orgs: [{ history: { count: eventCount, spanMs: 6 * DAY_MS } }, { history: { count: 0 } }] });
  try {
    await migrate(db);
    await settleStore(db);
    const [simulatorOrg, typicalOrg] = simulator.orgs;
    simulator.addEvents(typicalOrg.id, { events: typicalMix(eventCount) });
    console.log(`${eventCount} events per backfill over 6 days; ${DETECTION_PACKS.reduce((n, p) => n + p.rules.length, 0)} rules in ${DETECTION_PACKS.length} pack(s)`);
    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const mix of MIXES) {
        const org = mix === 'simulator' ? simulatorOrg : typicalOrg;
        const order = VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length]);
        for (const run of await interleavedBackfills(db, mix, order, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, round })) {
          if (run.events !== eventCount) throw new Error(`${mix} ${run.variant} ingested ${run.events} events, expected ${eventCount}`);
          runs.push(run);
          console.log(
            `round ${round} ${mix.padEnd(9)} ${run.variant.padEnd(9)}: ${Math.round(run.events / run.seconds)} events/s (${run.seconds.toFixed(2)} s` +
              (run.variant === 'no hook' ? ')' : `, ${pct(run.hookSeconds / run.seconds)} of it in the hook, ${run.detections} detections)`),
          );
        }
      }
    }
    // Each round's three backfills ran under the same load, so their ratios are compared round by round.
    for (const mix of MIXES) {
      const of = (variant: Variant) => runs.filter((r) => r.mix === mix && r.variant === variant);
      const rate = (run: Run) => run.events / run.seconds;
      const overheads = (variant: Variant, baseline: Variant) => of(variant).map((run, i) => 1 - rate(run) / rate(of(baseline)[i]));
      const spread = (values: number[]) => `median ${pct(median(values))} (rounds: ${values.map(pct).join(', ')})`;
      const detections = of('all packs')[0].detections;
      console.log(
        `${mix} mix: ${detections} detections (one per ${Math.round(eventCount / Math.max(1, detections))} events); ` +
          `median events/s: no hook ${Math.round(median(of('no hook').map(rate)))}, no packs ${Math.round(median(of('no packs').map(rate)))}, ` +
          `all packs ${Math.round(median(of('all packs').map(rate)))}\n` +
          `  all packs cost ${spread(overheads('all packs', 'no hook'))} of throughput against no hook, ` +
          `${spread(overheads('all packs', 'no packs'))} against no packs; the hook with no pack costs ${spread(overheads('no packs', 'no hook'))}`,
      );
    }
  } finally {
    await simulator.close();
    await db.close();
    await database.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The variants' backfills of one organization, interleaved a turn of pages at a time, each timed only in its turns. */
async function interleavedBackfills(
  db: Database,
  mix: Mix,
  order: Variant[],
  org: { organizationId: string; apiKey: string; apiBaseUrl: string; round: number },
): Promise<Run[]> {
  const cipher = createCredentialCipher(randomBytes(32));
  const backfills = await Promise.all(
    order.map(async (variant) => {
      const source = await insertBenchSource(db, cipher, `bench-${mix}-${variant.replace(/ /g, '-')}-${org.round}`, org);
      if (variant === 'all packs') {
        for (const pack of DETECTION_PACKS) await enablePack(db, source.id, pack.id);
        await saveDetectionSettings(db, source.id, { allowedInviteDomains: ['acme-corporation.example.com'] });
      }
      const run: Run = { mix, variant, events: 0, seconds: 0, hookSeconds: 0, detections: 0 };
      const hook = variant === 'no hook' ? undefined : timedHook(createDetectionHook(), (seconds) => (run.hookSeconds += seconds));
      return { source, run, steps: steppedBackfill({ db, cipher, onEventsInserted: hook }, source.id) };
    }),
  );
  while (backfills.some((b) => !b.steps.done)) {
    for (const { run, steps } of backfills) {
      const started = performance.now();
      await steps.pages(PAGES_PER_TURN);
      run.seconds += (performance.now() - started) / 1000;
      run.events = steps.events;
    }
  }
  for (const { source, run } of backfills) {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM detections WHERE source_id = $1', [source.id]);
    run.detections = rows[0].n;
    await deleteSource(db, source.id);
  }
  // Every round starts from the same database: no earlier round's rows in the indexes, no autovacuum of them mid-run,
  // and no checkpoint writing out their dirty pages.
  await settleStore(db);
  return backfills.map((b) => b.run);
}

/** The hook, with the time it spends (inside each page's transaction) added up. */
function timedHook(hook: InsertedEventsHook, addSeconds: (seconds: number) => void): InsertedEventsHook {
  return {
    contextSql: hook.contextSql,
    async run(tx, source, rows, context) {
      const started = performance.now();
      const outcome = await hook.run(tx, source, rows, context);
      addSeconds((performance.now() - started) / 1000);
      return outcome;
    },
  };
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
