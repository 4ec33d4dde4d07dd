import { randomBytes } from 'node:crypto';
import type { ActivityDependencies } from '../activities';
import { createDetectionHook } from '../detections/engine';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import { createCredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { DAY_MS, insertBenchSource, median, openBenchStack, plainBackfill, runBenchWorker } from './bench-environment';

// A full backfill through the source workflow (pages of 500, a batch of them per ingestPage local activity, on a real
// dev server) against the same activity called page after page in a plain loop, alternated over rounds, with the
// worker's real dependencies (the detection hook included, no packs enabled). The simulator, the worker and the loop
// share this one process.
// Usage: npm run bench:backfill -- [events=200000] [rounds=2]

const TASK_QUEUE = 'bench-backfill';

async function main(): Promise<void> {
  const eventCount = Number(process.argv[2] ?? 200_000);
  const rounds = Number(process.argv[3] ?? 2);
  const stack = await openBenchStack('backfill', { seed: 7, orgs: [{}], history: { count: eventCount, spanMs: 6 * DAY_MS } }, { keepTemporalState: true });
  const { db, simulator, client } = stack;
  const deps: ActivityDependencies = { db, cipher: createCredentialCipher(randomBytes(32)), onEventsInserted: createDetectionHook() };
  const worker = await runBenchWorker(stack, deps, TASK_QUEUE);
  try {
    const org = { organizationId: simulator.orgs[0].id, apiKey: simulator.orgs[0].keys.valid, apiBaseUrl: simulator.url };
    console.log(`${eventCount} simulated events, pages of 500, ${rounds} round(s); PostgreSQL ${process.env.DATABASE_URL ? 'from DATABASE_URL' : 'embedded'}`);
    const rates: Record<'plain loop' | 'workflow', number[]> = { 'plain loop': [], workflow: [] };
    for (let round = 1; round <= rounds; round++) {
      for (const path of round % 2 ? (['plain loop', 'workflow'] as const) : (['workflow', 'plain loop'] as const)) {
        const source = await insertBenchSource(db, deps.cipher, `bench-${path === 'workflow' ? 'wf' : 'loop'}-${round}-${Date.now() % 100_000}`, org);
        const started = performance.now();
        if (path === 'workflow') {
          const handle = await startSourceWorkflow(client, source, TASK_QUEUE);
          await untilSourceBackfilled(db, source.id);
          await handle.terminate('benchmark done');
        } else {
          await plainBackfill(deps, source.id);
        }
        const seconds = (performance.now() - started) / 1000;
        const stored = await storedEvents(db, source.id);
        if (stored !== eventCount) throw new Error(`${path} stored ${stored} events, expected ${eventCount}`);
        rates[path].push(stored / seconds);
        console.log(`round ${round} ${path.padEnd(10)}: ${Math.round(stored / seconds)} events/s (${seconds.toFixed(2)} s)`);
      }
    }
    const [plain, workflow] = [median(rates['plain loop']), median(rates.workflow)];
    console.log(`median events/s: plain loop ${Math.round(plain)}, workflow ${Math.round(workflow)}`);
    console.log(`workflow / plain loop: ${((workflow / plain) * 100).toFixed(1)}% (target at least 90%, and at least 10000 events/s)`);
  } finally {
    await worker.stop();
    await stack.close();
  }
}

/** The checkpoint records when the first pass reached the end of the stream. */
async function untilSourceBackfilled(db: Database, sourceId: string): Promise<void> {
  for (;;) {
    const { rows } = await db.query('SELECT 1 FROM checkpoints WHERE source_id = $1 AND backfill_completed_at IS NOT NULL', [sourceId]);
    if (rows.length) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function storedEvents(db: Database, sourceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE source_id = $1', [sourceId]);
  return rows[0].n;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
