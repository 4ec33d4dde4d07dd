import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { ActivityDependencies } from '../activities';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import { createCredentialCipher } from '../store/credentials';
import { RATE_LIMIT_KINDS, rateLimitProblem, type RateLimitKind } from '../simulator/rate-limit';
import { countBackfilled, DAY_MS, insertBenchSource, openBenchStack, runBenchWorker, untilBackfilled } from './bench-environment';

// A backfill against each of the simulator's limiters (a fixed window and a token bucket, with the same headers): how
// much of the allowed request rate the paced client uses, and how many of its requests still meet a 429; for one
// source, and for two sources of one organization that share its budget (one API key).
// The window is shortened to scale time (10 s by default, at the same requests a minute: a bucket of 10 filling one a
// second at 60 a minute), so each run spans several windows in about a minute. --window-seconds 60 plays Atlassian's.
// Usage: npm run bench:rate-limit -- [--per-minute 60] [--window-seconds 10] [--requests 60]

const TASK_QUEUE = 'bench-rate-limit';
const PAGE_EVENTS = 500;
const SOURCE_COUNTS = [1, 2];

interface Run {
  kind: RateLimitKind;
  sources: number;
  answered: number;
  refused: number;
  minutes: number;
  allowed: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'per-minute': { type: 'string', default: '60' }, 'window-seconds': { type: 'string', default: '10' }, requests: { type: 'string', default: '60' } },
  });
  const [perMinute, windowMs, requests] = [Number(values['per-minute']), Number(values['window-seconds']) * 1000, Number(values.requests)];
  const problem = rateLimitProblem({ requestsPerMinute: perMinute, windowMs });
  if (problem || !(Number.isInteger(requests) && requests >= 2)) {
    console.error(`bench:rate-limit: ${problem ?? '--requests must be a whole number of at least 2'}`);
    process.exit(2);
  }
  const runs = RATE_LIMIT_KINDS.flatMap((kind) => SOURCE_COUNTS.map((sources) => ({ kind, sources })));
  // An organization per run, so every run starts with an unused key; its sources read it all, so it holds the
  // run's pages split over them.
  const stack = await openBenchStack('rate-limit', {
    seed: 11,
    orgs: runs.map(({ sources }) => ({ history: { count: Math.ceil(requests / sources) * PAGE_EVENTS, spanMs: 6 * DAY_MS } })),
    rateLimit: { requestsPerMinute: perMinute, windowMs, form: 'retry-after-seconds' },
  });
  const { db, simulator, client } = stack;
  const deps: ActivityDependencies = { db, cipher: createCredentialCipher(randomBytes(32)) };
  const worker = await runBenchWorker(stack, deps, TASK_QUEUE);
  const results: Run[] = [];
  try {
    console.log(`Each run: pages of ${PAGE_EVENTS} events, about ${requests} requests, the API allowing ${perMinute} requests a minute per key in ${windowMs / 1000} s windows`);
    for (const [index, run] of runs.entries()) {
      const orgInfo = simulator.orgs[index];
      const org = { organizationId: orgInfo.id, apiKey: orgInfo.keys.valid, apiBaseUrl: simulator.url };
      simulator.setRateLimit({ kind: run.kind });
      const sources = await Promise.all(Array.from({ length: run.sources }, (_, i) => insertBenchSource(db, deps.cipher, `rate-${index}-${i}`, org)));
      const backfilledBefore = await countBackfilled(db);
      const refusedBefore = simulator.rateLimitedCount();
      // Starting on a window boundary makes the windows whole and the allowance exact.
      await new Promise((resolve) => setTimeout(resolve, windowMs - (Date.now() % windowMs)));
      const started = performance.now();
      const handles = await Promise.all(sources.map((source) => startSourceWorkflow(client, source, TASK_QUEUE)));
      await untilBackfilled(db, backfilledBefore + run.sources);
      const durationMs = performance.now() - started;
      const counts = simulator.requestCounts().byOrg[orgInfo.id] ?? {};
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const refused = simulator.rateLimitedCount() - refusedBefore;
      const result = { ...run, answered: total - refused, refused, minutes: durationMs / 60_000, allowed: simulator.allowedRequests(durationMs) };
      results.push(result);
      console.log(`  ${describe(result)}`);
      await Promise.all(handles.map((handle) => handle.terminate('benchmark done')));
    }
    console.log('\nlimiter        sources  answered  429s  minutes  allowed  share of allowed  429 share');
    for (const r of results) {
      console.log(
        `${r.kind.padEnd(15)}${String(r.sources).padStart(7)}${String(r.answered).padStart(10)}${String(r.refused).padStart(6)}${r.minutes.toFixed(2).padStart(9)}${r.allowed.toFixed(0).padStart(9)}${pct(r.answered / r.allowed).padStart(18)}${pct(r.refused / (r.answered + r.refused)).padStart(11)}`,
      );
    }
    console.log('Targets: at least 95% of the allowed rate and below 1% 429s, on both limiters. Allowed: the steady rate over the run, plus the burst a full bucket starts with.');
  } finally {
    await worker.stop();
    await stack.close();
  }
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

function describe(r: Run): string {
  return `${r.kind}, ${r.sources} source(s): ${r.answered} answered and ${r.refused} refused with 429 in ${r.minutes.toFixed(2)} min, of ${r.allowed.toFixed(0)} allowed: ${pct(r.answered / r.allowed)} of the allowed rate, ${pct(r.refused / (r.answered + r.refused))} 429s`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
