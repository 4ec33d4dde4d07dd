import { AtlassianClient } from '../../atlassian/client';
import { AtlassianApiError, TransientError } from '../../atlassian/errors';
import { startSimulator, type RunningSimulator } from '../../simulator/server';

// Fault injection is reproducible: rate-based faults follow the seed, queued faults hit exactly N requests.

async function outcomes(sim: RunningSimulator, requests: number): Promise<string[]> {
  const [org] = sim.orgs;
  const client = new AtlassianClient({ baseUrl: sim.url, apiKey: org.keys.valid });
  const seen: string[] = [];
  for (let i = 0; i < requests; i++) {
    seen.push(
      await client.fetchEventsPage(org.id, { limit: 5 }).then(
        () => 'ok',
        (err: AtlassianApiError) => `${err.name}:${err.status}`,
      ),
    );
  }
  return seen;
}

describe('rate-based faults', () => {
  const faults = { serverErrorRate: 0.25, serverErrorStatus: 503, resetRate: 0.1, truncatedJsonRate: 0.1 };

  it('repeat exactly for the same seed', async () => {
    const runs: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const sim = await startSimulator({ seed: 77, history: { count: 20 }, orgs: [{}], faults });
      try {
        runs.push(await outcomes(sim, 60));
      } finally {
        await sim.close();
      }
    }
    expect(runs[0]).toEqual(runs[1]);
    const kinds = new Set(runs[0]);
    expect(kinds).toEqual(new Set(['ok', 'TransientError:503', 'TransientError:null', 'MalformedResponseError:200']));
  });

  it('change with the fault seed, and reproduce when it is set again', async () => {
    const sim = await startSimulator({ seed: 77, history: { count: 20 }, orgs: [{}] });
    try {
      sim.setFaults(faults, undefined, 1);
      const first = await outcomes(sim, 40);
      sim.setFaults(faults, undefined, 2);
      const other = await outcomes(sim, 40);
      sim.setFaults(faults, undefined, 1);
      const again = await outcomes(sim, 40);
      expect(again).toEqual(first);
      expect(other).not.toEqual(first);
    } finally {
      await sim.close();
    }
  });

  it('can be limited to one organization', async () => {
    const sim = await startSimulator({ seed: 3, history: { count: 5 }, orgs: [{}, {}] });
    try {
      const [a, b] = sim.orgs;
      sim.setFaults({ serverErrorRate: 1 }, a.id);
      await expect(new AtlassianClient({ baseUrl: sim.url, apiKey: a.keys.valid }).validateKey(a.id)).rejects.toBeInstanceOf(TransientError);
      await expect(new AtlassianClient({ baseUrl: sim.url, apiKey: b.keys.valid }).validateKey(b.id)).resolves.toBeUndefined();
    } finally {
      await sim.close();
    }
  });

  it('add latency to every response', async () => {
    const sim = await startSimulator({ seed: 3, history: { count: 5 }, orgs: [{}], faults: { latencyMs: 150 } });
    try {
      const [org] = sim.orgs;
      const started = Date.now();
      await new AtlassianClient({ baseUrl: sim.url, apiKey: org.keys.valid }).validateKey(org.id);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await sim.close();
    }
  });
});

describe('queued faults', () => {
  it('fail exactly the next N requests, then the simulator recovers', async () => {
    const sim = await startSimulator({ seed: 9, history: { count: 5 }, orgs: [{}] });
    try {
      sim.failNext({ kind: 'server-error', count: 3 });
      sim.failNext({ kind: 'reset', count: 1 });
      expect(await outcomes(sim, 6)).toEqual(['TransientError:500', 'TransientError:500', 'TransientError:500', 'TransientError:null', 'ok', 'ok']);
      expect(sim.injectedFaults()).toEqual({ 'server-error': 3, reset: 1 });
    } finally {
      await sim.close();
    }
  });

  it('rate-limited answers a 429 in the current form although the window has room', async () => {
    const sim = await startSimulator({ seed: 9, history: { count: 5 }, orgs: [{}], rateLimit: { requestsPerMinute: 1000, form: 'reset-only' } });
    try {
      sim.failNext({ kind: 'rate-limited', count: 1 });
      const [org] = sim.orgs;
      const limited = await fetch(`${sim.url}/admin/v1/orgs/${org.id}/events-stream`, { headers: { Authorization: `Bearer ${org.keys.valid}` } });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(limited.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
      expect(limited.headers.get('retry-after')).toBeNull();
      expect(await outcomes(sim, 1)).toEqual(['ok']);
      expect(sim.injectedFaults()).toEqual({ 'rate-limited': 1 });
    } finally {
      await sim.close();
    }
  });
});

describe('an event repeated on two consecutive pages', () => {
  it('starts each continued page with the last event of the previous one; the set of events stays complete', async () => {
    const sim = await startSimulator({ seed: 12, history: { count: 10 }, orgs: [{}], faults: { repeatEventRate: 1 } });
    try {
      const [org] = sim.orgs;
      const client = new AtlassianClient({ baseUrl: sim.url, apiKey: org.keys.valid });
      const pages: string[][] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await client.fetchEventsPage(org.id, { cursor, limit: 4 });
        pages.push(page.events.map((e) => e.id));
        cursor = page.nextCursor ?? cursor;
        if (!page.hasMore) break;
      }
      for (let i = 1; i < pages.length; i++) {
        if (pages[i].length > 0) expect(pages[i][0]).toBe(pages[i - 1].at(-1));
      }
      const all = pages.flat();
      expect(all.length).toBeGreaterThan(10);
      expect(new Set(all).size).toBe(10);
    } finally {
      await sim.close();
    }
  });
});
