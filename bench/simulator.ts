import { AtlassianClient } from '../atlassian/client';
import { outboundPolicy } from '../config/outbound-guard';
import { startSimulator } from '../simulator/server';

// Throughput of the simulator as the ingest path sees it: full passes over one organization's events stream with
// pages of 500, through the real client (HTTP, JSON parsing and schema validation included), client and simulator
// sharing this one process and thread. A last pass reads the same pages as raw text, to show how much of that
// time is the simulator's. Usage: npx tsx bench/simulator.ts [events=200000] [passes=3]

async function main(): Promise<void> {
  const eventCount = Number(process.argv[2] ?? 200_000);
  const passes = Number(process.argv[3] ?? 3);

  const setupStarted = performance.now();
  const simulator = await startSimulator({ seed: 7, orgs: [{ history: { count: eventCount } }] });
  const setupMs = performance.now() - setupStarted;
  const [org] = simulator.orgs;
  // The simulator listens on loopback, which clients reach only when allowed.
  const client = new AtlassianClient({ baseUrl: simulator.url, apiKey: org.keys.valid, outbound: outboundPolicy('127.0.0.0/8') });
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
    const raw = await rawPass(simulator.url, org.id, org.keys.valid, eventCount);
    console.log(`raw HTTP pass (no parsing): ${Math.round(raw)} events/s`);
  } finally {
    await simulator.close();
  }
  rates.sort((a, b) => a - b);
  console.log(`median ${Math.round(rates[Math.floor(rates.length / 2)])} events/s over ${passes} passes (limit 500, real client)`);
}

/** Events per second of the same pages fetched as text: the simulator's share of the work, plus HTTP. */
async function rawPass(baseUrl: string, orgId: string, apiKey: string, eventCount: number): Promise<number> {
  const pageUrl = `${baseUrl}/admin/v1/orgs/${orgId}/events-stream?limit=500`;
  let next: string | undefined = pageUrl;
  let bytes = 0;
  const started = performance.now();
  while (next) {
    const text = await (await fetch(next, { headers: { Authorization: `Bearer ${apiKey}` } })).text();
    bytes += text.length;
    // Only the small tail holds the link to the next page; the events themselves are not parsed.
    const match = /"links":\{[^}]*"next":"([^"]+)"/.exec(text.slice(-2_000));
    next = text.startsWith('{"data":[]') ? undefined : match?.[1];
  }
  const seconds = (performance.now() - started) / 1000;
  if (bytes < eventCount * 100) throw new Error('raw pass read less than expected');
  return eventCount / seconds;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
