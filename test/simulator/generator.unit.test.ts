import { AtlassianClient } from '../../atlassian/client';
import { auditEventSchema, type AuditEvent } from '../../atlassian/schema';
import { ACTIONS } from '../../simulator/actions';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../simulator/server';

// The generator is deterministic from the seed and plays the shapes and quirks of the API digest.

const FIXED_NOW = Date.UTC(2025, 5, 1, 12);

async function withSimulator<T>(options: SimulatorOptions, use: (sim: RunningSimulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator(options);
  try {
    return await use(sim);
  } finally {
    await sim.close();
  }
}

/** Raw JSON bodies, so the comparison does not depend on the client's parsing. */
async function rawPage(sim: RunningSimulator, limit: number): Promise<{ data: unknown[] }> {
  const [org] = sim.orgs;
  const response = await fetch(`${sim.url}/admin/v1/orgs/${org.id}/events-stream?limit=${limit}`, {
    headers: { Authorization: `Bearer ${org.keys.valid}` },
  });
  return (await response.json()) as { data: unknown[] };
}

async function allEvents(sim: RunningSimulator, orgIndex = 0): Promise<AuditEvent[]> {
  const org = sim.orgs[orgIndex];
  const client = new AtlassianClient({ baseUrl: sim.url, apiKey: org.keys.valid });
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.fetchEventsPage(org.id, { cursor, limit: 500 });
    events.push(...page.events);
    cursor = page.nextCursor ?? cursor;
    if (!page.hasMore) return events;
  }
}

describe('determinism', () => {
  it('the same seed gives the same organizations, keys and events', async () => {
    const options = { seed: 99, now: () => FIXED_NOW, history: { count: 300 } };
    const [a, b] = await Promise.all([
      withSimulator(options, async (sim) => ({ orgs: sim.orgs, page: await rawPage(sim, 300) })),
      withSimulator(options, async (sim) => ({ orgs: sim.orgs, page: await rawPage(sim, 300) })),
    ]);
    expect(a.orgs).toEqual(b.orgs);
    // links.self carries each simulator's own port; everything else must match.
    const withoutLinks = (page: { data: unknown[] }) => JSON.stringify(page.data).replace(/http:\/\/127\.0\.0\.1:\d+/g, '');
    expect(withoutLinks(a.page)).toEqual(withoutLinks(b.page));
    expect(a.page.data).toHaveLength(300);
  });

  it('another seed gives other ids, keys and events', async () => {
    const first = await withSimulator({ seed: 1, now: () => FIXED_NOW, history: { count: 5 } }, async (sim) => ({ orgs: sim.orgs, page: await rawPage(sim, 5) }));
    const second = await withSimulator({ seed: 2, now: () => FIXED_NOW, history: { count: 5 } }, async (sim) => ({ orgs: sim.orgs, page: await rawPage(sim, 5) }));
    expect(first.orgs[0].id).not.toBe(second.orgs[0].id);
    expect(first.orgs[0].keys.valid).not.toBe(second.orgs[0].keys.valid);
    expect(JSON.stringify(first.page.data)).not.toBe(JSON.stringify(second.page.data));
  });

  it('keys vary in length, and every org has distinct keys', async () => {
    await withSimulator({ seed: 5, history: { count: 0 } }, async (sim) => {
      const keys = sim.orgs.flatMap((org) => Object.values(org.keys));
      expect(new Set(keys).size).toBe(keys.length);
      expect(new Set(keys.map((k) => k.length)).size).toBeGreaterThan(1);
    });
  });
});

describe('realism', () => {
  let events: AuditEvent[];
  let raw: string[];

  beforeAll(async () => {
    events = await withSimulator({ seed: 8, history: { count: 20_000 }, orgs: [{}] }, (sim) => allEvents(sim));
    raw = events.map((e) => JSON.stringify(e));
  });

  const count = (predicate: (e: AuditEvent) => boolean) => events.filter(predicate).length;

  it('every generated event passes the client schema unchanged', () => {
    expect(events).toHaveLength(20_000);
    const failures = events.filter((e) => !auditEventSchema.safeParse(e).success);
    expect(failures).toEqual([]);
  });

  it('plays every action of the catalogue, logins most often', () => {
    const byAction = new Map<string, number>();
    for (const e of events) byAction.set(e.attributes.action, (byAction.get(e.attributes.action) ?? 0) + 1);
    expect([...byAction.keys()].sort()).toEqual(ACTIONS.map((a) => a.key).sort());
    expect(byAction.get('user_login')!).toBeGreaterThan(byAction.get('added_org_admin')! * 10);
  });

  it('includes system actors whose email is "Atlassian app"', () => {
    expect(count((e) => e.attributes.actor.email === 'Atlassian app' && e.attributes.actor.id === 'confluence')).toBeGreaterThan(0);
  });

  it('uses several forms of actor id', () => {
    expect(count((e) => /^557058:[0-9a-f-]{36}$/.test(e.attributes.actor.id))).toBeGreaterThan(0);
    expect(count((e) => /^[0-9a-f]{24}$/.test(e.attributes.actor.id))).toBeGreaterThan(0);
    expect(count((e) => /^712020:/.test(e.attributes.actor.id))).toBeGreaterThan(0);
  });

  it('has locations that are full, geo-only, empty strings, or missing', () => {
    expect(count((e) => Boolean(e.attributes.location?.ip && e.attributes.location.city))).toBeGreaterThan(0);
    expect(count((e) => e.attributes.location != null && Object.keys(e.attributes.location).join() === 'geo')).toBeGreaterThan(0);
    expect(count((e) => e.attributes.location?.geo === '' && e.attributes.location.city === '')).toBeGreaterThan(0);
    expect(count((e) => e.attributes.location === undefined)).toBeGreaterThan(0);
  });

  it('has times with and without milliseconds, empty contexts, null relations, and both message formats', () => {
    expect(count((e) => /\.\d{3}Z$/.test(e.attributes.time))).toBeGreaterThan(0);
    expect(count((e) => /:\d{2}Z$/.test(e.attributes.time))).toBeGreaterThan(0);
    expect(count((e) => e.attributes.context?.length === 0)).toBeGreaterThan(0);
    expect(count((e) => e.relations === null)).toBeGreaterThan(0);
    expect(count((e) => e.message?.format === 'simple')).toBeGreaterThan(0);
    expect(count((e) => e.message?.format === 'text/plain')).toBeGreaterThan(0);
    expect(count((e) => e.message === undefined)).toBeGreaterThan(0);
  });

  it('has the documented shapes of sensitive actions', () => {
    const settings = events.find((e) => e.attributes.action === 'org_settings_update')!;
    expect(settings.attributes.container).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'AuthenticationPolicy' })]));
    const impersonation = events.find((e) => e.attributes.action === 'user_logged_in_as_user')!;
    expect(impersonation.attributes.context).toEqual([expect.objectContaining({ type: 'users' })]);
    const revoked = events.find((e) => e.attributes.action === 'api_token_revoked')!;
    expect(revoked.attributes.actor.auth).toEqual(expect.objectContaining({ authType: 'api-token', tokenId: expect.any(String) }));
    const invitation = events.find((e) => e.attributes.action === 'user_invitation_sent')!;
    expect(invitation.attributes.context![0].type).toBe('invited-user');
  });

  it('uses only reserved documentation addresses', () => {
    const ips = events.map((e) => e.attributes.location?.ip).filter((ip): ip is string => Boolean(ip));
    expect(ips.length).toBeGreaterThan(1_000);
    expect(ips.filter((ip) => !/^(203\.0\.113\.|198\.51\.100\.|192\.0\.2\.|2001:db8:)/.test(ip))).toEqual([]);
    expect(raw.some((r) => /@[a-z-]+\.example\.com/.test(r))).toBe(true);
  });
});

describe('live events', () => {
  it('appear as time passes, at the configured rate, without a timer', async () => {
    let now = FIXED_NOW;
    await withSimulator({ seed: 4, history: { count: 10 }, orgs: [{ liveEventsPerSecond: 5 }], now: () => now }, async (sim) => {
      const [org] = sim.orgs;
      expect((await allEvents(sim)).length).toBe(10);
      now += 2_000;
      const afterTwoSeconds = await allEvents(sim);
      expect(afterTwoSeconds.length).toBe(20);
      const live = afterTwoSeconds.slice(10).map((e) => Date.parse(e.attributes.processedAt!));
      expect(live[0]).toBe(FIXED_NOW + 200);
      expect(live.at(-1)).toBe(FIXED_NOW + 2_000);

      sim.setLiveRate(org.id, 0);
      now += 60_000;
      expect((await allEvents(sim)).length).toBe(20);
    });
  });

  it('keeps the same content for the same event whenever it is first read', async () => {
    let nowA = FIXED_NOW;
    let nowB = FIXED_NOW;
    const options = (clock: () => number) => ({ seed: 6, history: { count: 0 }, orgs: [{ liveEventsPerSecond: 1 }], now: clock });
    const a = await withSimulator(options(() => nowA), async (sim) => {
      nowA += 10_000;
      return allEvents(sim);
    });
    const b = await withSimulator(options(() => nowB), async (sim) => {
      for (let i = 0; i < 10; i++) {
        nowB += 1_000;
        await allEvents(sim);
      }
      return allEvents(sim);
    });
    const strip = (events: AuditEvent[]) => events.map(({ links: _links, ...rest }) => rest);
    expect(strip(a)).toHaveLength(10);
    expect(strip(a)).toEqual(strip(b));
  });
});
