import { startSimulator, type RunningSimulator } from '../../simulator/server';

// The simulator's HTTP surface, read raw (without the client) so the wire format itself is checked.

const NOW = Date.UTC(2023, 9, 11, 12, 34, 20); // 2023-10-11T12:34:20Z

let simulator: RunningSimulator;
let org: RunningSimulator['orgs'][number];

interface Page {
  data: Array<{ id: string; attributes: Record<string, unknown> & { action: string; actor: { id: string }; location?: { ip?: string } } }>;
  meta: { next: string | null; page_size: number };
  links: { self: string; next?: string };
}

async function get(path: string, key: string = org.keys.valid): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(path.startsWith('http') ? path : `${simulator.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const stream = (query = '') => `/admin/v1/orgs/${org.id}/events-stream${query}`;

/** All 600 events of the org in processing order. */
async function wholeStream(): Promise<Page['data']> {
  const first = (await get(stream('?limit=500'))).body as Page;
  const second = (await get(stream(`?limit=500&cursor=${encodeURIComponent(first.meta.next!)}`))).body as Page;
  return [...first.data, ...second.data];
}

beforeAll(async () => {
  simulator = await startSimulator({ seed: 41, history: { count: 600, spanMs: 3_600_000 }, orgs: [{}, {}], now: () => NOW });
  [org] = simulator.orgs;
});

afterAll(() => simulator.close());

afterEach(() => simulator.setRateLimit({ requestsPerMinute: 60_000, form: 'retry-after-seconds' }));

describe('events-stream', () => {
  it('defaults to 200 events per page and links to the next page with a working URL', async () => {
    const first = await get(stream());
    const page = first.body as Page;
    expect(page.data).toHaveLength(200);
    expect(page.meta.page_size).toBe(200);
    expect(page.links.self).toBe(`${simulator.url}${stream()}`);
    const second = await get(page.links.next!);
    expect((second.body as Page).data[0].id).not.toBe(page.data[0].id);
    const viaCursor = await get(stream(`?cursor=${encodeURIComponent(page.meta.next!)}`));
    expect(viaCursor.body).toEqual({ ...second.body, links: { ...second.body.links, self: expect.any(String) } });
  });

  it.each([
    ['limit=0', 'ADMIN-400-2'],
    ['limit=501', 'ADMIN-400-2'],
    ['limit=ten', 'ADMIN-400-2'],
    ['sortOrder=sideways', 'ADMIN-400-2'],
    ['from=yesterday', 'ADMIN-400-3'],
    ['from=10&to=5', 'ADMIN-400-3'],
    ['cursor=%%%', 'ADMIN-400-1'],
  ])('refuses %s with 400 %s', async (query, code) => {
    const response = await get(stream(`?${query}`));
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({ status: '400', code });
  });

  it('accepts 500 events per page', async () => {
    expect((await get(stream('?limit=500'))).body.data).toHaveLength(500);
  });

  it('serves at most maxPageSize events per page and says so in meta.page_size', async () => {
    const small = await startSimulator({ seed: 41, history: { count: 30 }, orgs: [{}], maxPageSize: 10 });
    try {
      const [smallOrg] = small.orgs;
      const response = await fetch(`${small.url}/admin/v1/orgs/${smallOrg.id}/events-stream?limit=500`, { headers: { Authorization: `Bearer ${smallOrg.keys.valid}` } });
      const page = (await response.json()) as Page;
      expect(page.data).toHaveLength(10);
      expect(page.meta.page_size).toBe(10);
    } finally {
      await small.close();
    }
  });

  it('refuses a cursor issued for another organization', async () => {
    const other = simulator.orgs[1];
    const { body } = await get(`/admin/v1/orgs/${other.id}/events-stream?limit=1`, other.keys.valid);
    const response = await get(stream(`?cursor=${encodeURIComponent(body.meta.next)}`));
    expect(response.status).toBe(400);
    expect(response.body.errors[0].code).toBe('ADMIN-400-1');
  });

  it('pages through the whole log in descending order too', async () => {
    const ids: string[] = [];
    let next: string | undefined = stream('?sortOrder=desc&limit=250');
    while (next) {
      const { body } = (await get(next)) as { body: Page };
      ids.push(...body.data.map((e) => e.id));
      next = body.data.length > 0 ? body.links.next : undefined;
    }
    const ascending = (await wholeStream()).map((e) => e.id);
    expect(ascending).toHaveLength(600);
    expect(ids).toEqual(ascending.reverse());
  });
});

describe('other endpoints', () => {
  it('events search filters by action, actor, ip and text, newest first, without processedAt', async () => {
    const all = await wholeStream();
    const sample = all.find((e) => e.attributes.location?.ip)!;

    const byAction = (await get(`/admin/v1/orgs/${org.id}/events?action=user_login&limit=500`)).body as Page;
    const logins = all.filter((e) => e.attributes.action === 'user_login').map((e) => e.id);
    expect(logins.length).toBeGreaterThan(0);
    expect(byAction.data.map((e) => e.id)).toEqual(logins.reverse());
    expect(byAction.data.every((e) => e.attributes.processedAt === undefined)).toBe(true);

    const byActor = (await get(`/admin/v1/orgs/${org.id}/events?actor[]=${encodeURIComponent(sample.attributes.actor.id)}&limit=500`)).body as Page;
    expect(byActor.data.map((e) => e.id)).toContain(sample.id);
    expect(byActor.data.every((e) => e.attributes.actor.id === sample.attributes.actor.id)).toBe(true);

    const byIp = (await get(`/admin/v1/orgs/${org.id}/events?ip=${encodeURIComponent(sample.attributes.location!.ip!)}`)).body as Page;
    expect(byIp.data.map((e) => e.id)).toContain(sample.id);

    const byText = (await get(`/admin/v1/orgs/${org.id}/events?q=${encodeURIComponent(sample.id)}`)).body as Page;
    expect(byText.data.map((e) => e.id)).toEqual([sample.id]);
  });

  it('events search pages with a cursor while keeping its filters', async () => {
    const first = (await get(`/admin/v1/orgs/${org.id}/events?product=jira&limit=10`)).body as Page;
    expect(first.data).toHaveLength(10);
    expect(first.links.next).toContain('product=jira');
    const second = (await get(first.links.next!)).body as Page;
    expect(second.data.every((e) => e.attributes.action.startsWith('jira_'))).toBe(true);
    expect(second.data.map((e) => e.id)).not.toContain(first.data[0].id);
  });

  it('one event by id, and 404 for an unknown id', async () => {
    const [event] = ((await get(stream('?limit=1'))).body as Page).data;
    const one = await get(`/admin/v1/orgs/${org.id}/events/${event.id}`);
    expect(one.status).toBe(200);
    expect(one.body.data.id).toBe(event.id);
    expect(one.body.data.attributes.processedAt).toBeUndefined();
    expect((await get(`/admin/v1/orgs/${org.id}/events/nope`)).status).toBe(404);
  });

  it('orgs lists the organization of the key', async () => {
    const { body } = await get('/admin/v1/orgs');
    expect(body.data).toEqual([{ id: org.id, type: 'orgs', attributes: { name: org.name } }]);
  });

  it('unknown paths are 404 and other methods 405', async () => {
    expect((await get('/admin/v2/whatever')).status).toBe(404);
    const post = await fetch(`${simulator.url}${stream()}`, { method: 'POST', headers: { Authorization: `Bearer ${org.keys.valid}` } });
    expect(post.status).toBe(405);
  });
});

describe('rate limit headers', () => {
  it('come with every response, counting down', async () => {
    const key = simulator.addKey(org.id);
    const first = await get(stream('?limit=1'), key);
    const second = await get('/admin/v1/orgs', key);
    expect(first.headers.get('x-ratelimit-limit')).toBe('60000');
    expect(first.headers.get('x-ratelimit-reset')).toBe('2023-10-11T12:35Z');
    expect(Number(first.headers.get('x-ratelimit-remaining')) - Number(second.headers.get('x-ratelimit-remaining'))).toBe(1);
  });

  it.each([
    ['retry-after-seconds', '40', '2023-10-11T12:35Z'],
    ['retry-after-date', 'Wed, 11 Oct 2023 12:35:00 GMT', '2023-10-11T12:35Z'],
    ['reset-only', null, '2023-10-11T12:35Z'],
    ['none', null, null],
  ] as const)('429 in the %s form', async (form, retryAfter, reset) => {
    simulator.setRateLimit({ requestsPerMinute: 2, form });
    const key = simulator.addKey(org.id);
    expect((await get(stream('?limit=1'), key)).status).toBe(200);
    expect((await get(stream('?limit=1'), key)).status).toBe(200);
    const limited = await get(stream('?limit=1'), key);
    expect(limited.status).toBe(429);
    expect(limited.body.errors[0].code).toBe('ADMIN-429-1');
    expect(limited.headers.get('retry-after')).toBe(retryAfter);
    expect(limited.headers.get('x-ratelimit-reset')).toBe(reset);
    // The limit is per key: another key is unaffected.
    expect((await get(stream('?limit=1'), simulator.addKey(org.id))).status).toBe(200);
  });
});

describe('request counts', () => {
  it('are kept per organization and endpoint, including unknown organizations', async () => {
    simulator.resetRequestCounts();
    await get(stream('?limit=1'));
    await get(`/admin/v1/orgs/${org.id}/event-actions`);
    await get('/admin/v1/orgs/not-an-org/events-stream');
    expect(simulator.requestCounts()).toEqual({
      total: 3,
      byOrg: { [org.id]: { 'events-stream': 1, 'event-actions': 1 }, 'not-an-org': { 'events-stream': 1 } },
    });
  });
});
