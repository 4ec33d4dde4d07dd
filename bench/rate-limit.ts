import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { ActivityDependencies } from '../activities';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import { createCredentialCipher } from '../store/credentials';
import { DAY_MS, insertBenchSource, openBenchStack, runBenchWorker, untilBackfilled } from './bench-environment';

// A backfill against the simulator's rate limit (per key, in clock-minute windows, like the API's): how much of the
// allowed request rate the paced client uses, and how many of its requests still meet a 429. With several sources
// they belong to one organization and share its budget.
// Usage: npm run bench:rate-limit -- [--events 60000] [--per-minute 60] [--sources 1]

const TASK_QUEUE = 'bench-rate-limit';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '60000' }, 'per-minute': { type: 'string', default: '60' }, sources: { type: 'string', default: '1' } } });
  const [events, perMinute, sourceCount] = [Number(values.events), Number(values['per-minute']), Number(values.sources)];
  const stack = await openBenchStack('rate-limit', {
    seed: 11,
    orgs: [{}],
    history: { count: events, spanMs: 6 * DAY_MS },
    rateLimit: { requestsPerMinute: perMinute, form: 'retry-after-seconds' },
  });
  const { db, simulator, client } = stack;
  const deps: ActivityDependencies = { db, cipher: createCredentialCipher(randomBytes(32)) };
  const worker = await runBenchWorker(stack, deps, TASK_QUEUE);
  try {
    const org = { organizationId: simulator.orgs[0].id, apiKey: simulator.orgs[0].keys.valid, apiBaseUrl: simulator.url };
    const sources = await Promise.all(Array.from({ length: sourceCount }, (_, i) => insertBenchSource(db, deps.cipher, `rate-${i}`, org)));
    // Starting on a clock minute makes the windows whole: the allowed rate is then the limit times the minutes taken.
    await new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() % 60_000)));
    const started = performance.now();
    const handles = await Promise.all(sources.map((source) => startSourceWorkflow(client, source, TASK_QUEUE)));
    await untilBackfilled(db, sourceCount);
    const minutes = (performance.now() - started) / 60_000;
    const total = simulator.requestCounts().total;
    const refused = simulator.rateLimitedCount();
    const answered = total - refused;
    console.log(`${sourceCount} source(s) of one organization backfilling ${events} events each, pages of 500, the API allowing ${perMinute} requests a minute`);
    console.log(`  ${answered} requests answered and ${refused} refused with 429 in ${minutes.toFixed(2)} min`);
    console.log(`  ${((answered / minutes / perMinute) * 100).toFixed(1)}% of the allowed rate (target at least 95%), ${((refused / total) * 100).toFixed(1)}% 429s (target below 1%)`);
    await Promise.all(handles.map((handle) => handle.terminate('benchmark done')));
  } finally {
    await worker.stop();
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
