import { AtlassianClient } from '../../atlassian/client';
import type { AuditEvent } from '../../atlassian/schema';
import { startSimulator, type RunningSimulator } from '../../simulator/server';

// Paging through 100,000 events with limit 500 yields each exactly once, late events included; polling later with
// the last cursor yields exactly the events added since.

const EVENT_COUNT = 100_000;

let simulator: RunningSimulator;
let orgId: string;
let client: AtlassianClient;
let lastCursor: string | undefined;
const received: AuditEvent[] = [];

async function pollUntilDrained(cursor: string | undefined): Promise<{ events: AuditEvent[]; cursor: string | undefined; requests: number }> {
  const events: AuditEvent[] = [];
  let requests = 0;
  for (;;) {
    const page = await client.fetchEventsPage(orgId, { cursor, limit: 500 });
    requests++;
    events.push(...page.events);
    cursor = page.nextCursor ?? cursor;
    if (!page.hasMore) return { events, cursor, requests };
  }
}

beforeAll(async () => {
  simulator = await startSimulator({
    seed: 2024,
    orgs: [{ history: { count: EVENT_COUNT, spanMs: 3 * 24 * 3_600_000 } }],
    lateEventRatio: 0.03,
  });
  orgId = simulator.orgs[0].id;
  client = new AtlassianClient({ baseUrl: simulator.url, apiKey: simulator.orgs[0].keys.valid });
  const drained = await pollUntilDrained(undefined);
  received.push(...drained.events);
  lastCursor = drained.cursor;
});

afterAll(() => simulator.close());

it('delivers every one of the 100,000 events exactly once', () => {
  expect(received).toHaveLength(EVENT_COUNT);
  expect(new Set(received.map((e) => e.id)).size).toBe(EVENT_COUNT);
});

it('delivers them in processing order', () => {
  const processed = received.map((e) => Date.parse(e.attributes.processedAt!));
  const outOfOrder = processed.filter((ms, i) => i > 0 && !(ms >= processed[i - 1])).length;
  expect(outOfOrder).toBe(0);
});

it('includes late events whose time is older than events served before them', () => {
  let newestTimeSoFar = Number.NEGATIVE_INFINITY;
  let late = 0;
  for (const event of received) {
    const time = Date.parse(event.attributes.time);
    if (time < newestTimeSoFar - 10 * 60_000) late++;
    newestTimeSoFar = Math.max(newestTimeSoFar, time);
  }
  // About 3% of 100,000 are generated late; each one is older than what preceded it.
  expect(late).toBeGreaterThan(2_000);
  expect(late).toBeLessThan(4_000);
});

it('then, polling with the last cursor yields exactly the events added since', async () => {
  expect(lastCursor).toBeDefined();
  const idle = await pollUntilDrained(lastCursor);
  expect(idle.events).toEqual([]);

  const addedInProcess = simulator.addEvents(orgId, { count: 1_234 });
  const response = await fetch(`${simulator.url}/_control/orgs/${orgId}/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${simulator.controlToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ events: [{ action: 'user_login_failed' }, { action: 'twosv_disabled_for_user', lagMs: 3_600_000 }] }),
  });
  expect(response.status).toBe(200);
  const addedByControl = ((await response.json()) as { ids: string[] }).ids;

  const later = await pollUntilDrained(idle.cursor);
  expect(later.events.map((e) => e.id)).toEqual([...addedInProcess, ...addedByControl]);
  expect(later.events.slice(-2).map((e) => e.attributes.action)).toEqual(['user_login_failed', 'twosv_disabled_for_user']);
  const alreadySeen = new Set(received.map((e) => e.id));
  expect(later.events.some((e) => alreadySeen.has(e.id))).toBe(false);
  // 1,236 events in pages of 500: three pages, the last one short, so no empty request was needed.
  expect(later.requests).toBe(3);
});
