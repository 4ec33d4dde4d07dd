import { AtlassianClient } from '../atlassian/client';
import { outboundPolicy } from '../config/outbound-guard';
import { startSimulator } from '../simulator/server';

// What the outbound guard (config/outbound-guard.ts) costs: one-event pages from the simulator on 127.0.0.1, through
// the guarded dispatcher and through Node's own, alternating rounds; then how long a refusal takes. The guard works
// once per connection (its lookup and its check of the peer), and connections are kept alive, so a request on a
// pooled connection should cost the same. Usage: npx tsx bench/outbound-guard.ts [requests per round=2000] [rounds=3]

/** fetch as the client would call it, minus the dispatcher: Node's global one, unguarded. */
const unguardedFetch: typeof fetch = (input, init) => fetch(input, { ...init, dispatcher: undefined });

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 2_000);
  const rounds = Number(process.argv[3] ?? 3);
  const simulator = await startSimulator({ seed: 7, orgs: [{ history: { count: 10 } }], rateLimit: { requestsPerMinute: 10_000_000 } });
  const [org] = simulator.orgs;
  const clients = {
    guarded: new AtlassianClient({ baseUrl: simulator.url, apiKey: org.keys.valid, outbound: outboundPolicy('127.0.0.1/32') }),
    unguarded: new AtlassianClient({ baseUrl: simulator.url, apiKey: org.keys.valid, fetchImpl: unguardedFetch }),
  };
  const perRequestMs: Record<keyof typeof clients, number[]> = { guarded: [], unguarded: [] };
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const name of ['unguarded', 'guarded'] as const) {
        const started = performance.now();
        for (let i = 0; i < requests; i++) await clients[name].validateKey(org.id);
        perRequestMs[name].push((performance.now() - started) / requests);
      }
      console.log(`round ${round}: unguarded ${perRequestMs.unguarded.at(-1)!.toFixed(3)} ms/request, guarded ${perRequestMs.guarded.at(-1)!.toFixed(3)} ms/request`);
    }
    const refused = new AtlassianClient({ baseUrl: 'http://169.254.169.254', apiKey: 'bench', outbound: outboundPolicy('') });
    const refusals: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await refused.listOrgs().catch(() => undefined);
      refusals.push(performance.now() - started);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.log(
      `median of ${rounds} rounds of ${requests}: unguarded ${median(perRequestMs.unguarded).toFixed(3)} ms/request, guarded ${median(perRequestMs.guarded).toFixed(3)} ms/request; ` +
        `a refusal of 169.254.169.254 takes ${median(refusals).toFixed(3)} ms (median of 200)`,
    );
  } finally {
    await simulator.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
