import { AtlassianClient } from '../activities/atlassian/client';
import { startSimulator } from '../simulator/server';

// Throughput of the simulator as the ingest path sees it: full passes over one organization's events stream with
// pages of 500, through the real client (HTTP, JSON parsing and schema validation included), client and simulator
// in this one process. Usage: npx tsx bench/simulator.ts [events=200000] [passes=3]

async function main(): Promise<void> {
  const eventCount = Number(process.argv[2] ?? 200_000);
  const passes = Number(process.argv[3] ?? 3);

  const setupStarted = performance.now();
  const simulator = await startSimulator({ seed: 7, orgs: [{ history: { count: eventCount } }] });
  const setupMs = performance.now() - setupStarted;
  const [org] = simulator.orgs;
  const client = new AtlassianClient({ baseUrl: simulator.url, apiKey: org.keys.valid });
  console.log(`simulator ready in ${(setupMs / 1000).toFixed(1)} s with ${eventCount} events (generated and serialized once)`);

  const rates: number[] = [];
  try {
    for (let pass = 1; pass <= passes; pass++) {
      let received = 0;
      let pages = 0;
      let cursor: string | undefined;
      const started = performance.now();
      for (;;) {
        const page = await client.fetchEventsPage(org.id, { cursor, limit: 500 });
        received += page.events.length;
        pages++;
        cursor = page.nextCursor ?? cursor;
        if (!page.hasMore) break;
      }
      const seconds = (performance.now() - started) / 1000;
      if (received !== eventCount) throw new Error(`pass ${pass} received ${received} events, expected ${eventCount}`);
      const rate = received / seconds;
      rates.push(rate);
      console.log(`pass ${pass}: ${received} events in ${pages} pages, ${seconds.toFixed(2)} s, ${Math.round(rate)} events/s`);
    }
  } finally {
    await simulator.close();
  }
  rates.sort((a, b) => a - b);
  console.log(`median ${Math.round(rates[Math.floor(rates.length / 2)])} events/s over ${passes} passes (limit 500, real client)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
