import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { openBenchStack, runSourceCli } from './bench-environment';

// `apply -f` of a file of N sources through the real CLI process, on a dev server and PostgreSQL of its own: the
// first run creates them all (live key checks included, against the simulator), the second finds nothing to do.
// Usage: npm run bench:apply -- [sources=1000]

const ORGS = 10;

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000);
  const stack = await openBenchStack('apply', { seed: 3, orgs: Array.from({ length: ORGS }, () => ({})), history: { count: 0 } });
  const { workDir, database, simulator, server } = stack;
  try {
    const keys: Record<string, string> = {};
    simulator.orgs.forEach((org, i) => (keys[`AUDIT_SECRET_BENCH_KEY_${i}`] = org.keys.valid));
    const file = path.join(workDir, 'sources.yaml');
    writeFileSync(
      file,
      toYaml({
        sources: Array.from({ length: count }, (_, i) => ({
          name: `bench-${String(i).padStart(5, '0')}`,
          orgId: simulator.orgs[i % ORGS].id,
          apiKey: { env: `AUDIT_SECRET_BENCH_KEY_${i % ORGS}` },
          interval: 60,
          detectionPacks: i % 2 ? ['atlassian-core'] : [],
        })),
      }),
    );
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: 'bench-apply',
      CREDENTIALS_KEY: randomBytes(32).toString('base64'),
      ATLASSIAN_API_BASE_URL: simulator.url,
      ALLOW_INSECURE_LOOPBACK_HTTP: 'true',
      // The simulator is on loopback (bench-environment.ts allows it).
      OUTBOUND_ALLOWED_NETWORKS: process.env.OUTBOUND_ALLOWED_NETWORKS,
      ...keys,
    };
    console.log(`${count} sources over ${ORGS} organizations; PostgreSQL ${process.env.DATABASE_URL ? 'from DATABASE_URL' : 'embedded'}; no worker runs, so the workflows only start`);
    for (const run of ['first apply (creates all, checks every key live)', 'second apply (nothing to do)']) {
      const started = performance.now();
      const output = await runSourceCli(['apply', '-f', file], env);
      console.log(`${run}: ${((performance.now() - started) / 1000).toFixed(1)} s; ${output.trim().split('\n').pop()}`);
    }
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
