import { AtlassianClient } from '../../atlassian/client';
import { AuthRejectedError, RateLimitedError, TransientError } from '../../atlassian/errors';
import { startSimulator, type RunningSimulator } from '../../simulator/server';

// The control API: it needs the control token, refuses bad requests with a reason, and changes nothing when it
// refuses; the simulator keeps serving through all of it.

let simulator: RunningSimulator;
let org: RunningSimulator['orgs'][number];
let client: AtlassianClient;

async function control(method: string, path: string, body?: unknown, token: string | null = simulator.controlToken) {
  const response = await fetch(`${simulator.url}/_control${path}`, {
    method,
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A plain API read, for endpoints and parameters the product's client has no use for. */
async function api(path: string): Promise<unknown> {
  const response = await fetch(`${simulator.url}/admin/v1/orgs/${org.id}${path}`, { headers: { Authorization: `Bearer ${org.keys.valid}` } });
  expect(response.status).toBe(200);
  return response.json();
}

beforeAll(async () => {
  simulator = await startSimulator({ seed: 31, history: { count: 10 }, orgs: [{}] });
  [org] = simulator.orgs;
  client = new AtlassianClient({ baseUrl: simulator.url, apiKey: org.keys.valid });
});

afterAll(() => simulator.close());

describe('authentication of the control API', () => {
  it.each([
    ['no token', null],
    ['a wrong token', 'wrong'],
    ['an API key instead of the control token', 'simkey_x'],
  ])('refuses %s with 401', async (_label, token) => {
    const response = await control('GET', '/state', undefined, token);
    expect(response.status).toBe(401);
    expect(response.body.error).toMatch(/control token/);
  });

  it('does not accept the control token as an API key', async () => {
    await expect(new AtlassianClient({ baseUrl: simulator.url, apiKey: simulator.controlToken }).validateKey(org.id)).rejects.toBeInstanceOf(AuthRejectedError);
  });
});

describe('malformed control requests', () => {
  it.each([
    ['bad JSON', 'POST', '/orgs/ORG/events', '{"count": 3', /not valid JSON/],
    ['an unknown field', 'POST', '/orgs/ORG/events', { count: 1, colour: 'red' }, /colour/],
    ['a wrong type', 'POST', '/orgs/ORG/events', { count: 'three' }, /^count: .*number/],
    ['a negative number', 'POST', '/orgs/ORG/events', { count: -4 }, /^count: /],
    ['a fractional count', 'POST', '/orgs/ORG/events', { count: 1.5 }, /^count: /],
    ['events and count together', 'POST', '/orgs/ORG/events', { count: 2, events: [{}] }, /either events/],
    ['an unknown field inside an event', 'POST', '/orgs/ORG/events', { events: [{ action: 'user_login', when: 'now' }] }, /^events\.0: .*when/],
    ['a verbatim body with generated fields', 'POST', '/orgs/ORG/events', { events: [{ body: { id: 'x' }, action: 'user_login' }] }, /either body/],
    ['an unknown organization', 'POST', '/orgs/no-such-org/events', { count: 1 }, /unknown organization/],
    ['a rate above 1', 'PUT', '/faults', { serverErrorRate: 1.5 }, /^serverErrorRate: /],
    ['a negative latency', 'PUT', '/faults', { latencyMs: -1 }, /^latencyMs: /],
    ['a status that is not 5xx', 'POST', '/faults/next', { kind: 'server-error', status: 404 }, /^status: /],
    ['an unknown fault kind', 'POST', '/faults/next', { kind: 'meteor' }, /^kind: /],
    ['a zero rate limit', 'PUT', '/rate-limit', { requestsPerMinute: 0 }, /^requestsPerMinute: /],
    ['an unknown 429 form', 'PUT', '/rate-limit', { form: 'smoke-signals' }, /^form: /],
    ['an unknown limiter', 'PUT', '/rate-limit', { kind: 'leaky-faucet' }, /^kind: /],
    ['a window holding no whole number of requests', 'PUT', '/rate-limit', { requestsPerMinute: 7, windowMs: 10_000 }, /whole number/],
    ['an unknown end-of-stream mode', 'PUT', '/orgs/ORG/end-of-stream', { mode: 'never' }, /^mode: /],
    ['a negative live rate', 'PUT', '/orgs/ORG/live-rate', { eventsPerSecond: -1 }, /^eventsPerSecond: /],
    ['a negative cursor TTL', 'PUT', '/cursor-ttl', { ttlMs: -5 }, /^ttlMs: /],
    ['a missing key', 'POST', '/keys/expire', {}, /^key: /],
    ['an unknown key', 'POST', '/keys/expire', { key: 'nope' }, /unknown key/],
    ['a duplicate key', 'POST', '/orgs/ORG/keys', { key: 'DUPLICATE' }, /already exists/],
    ['a top-level array', 'PUT', '/faults', '[]', /^body: /],
    ['a verbatim page that is not text', 'PUT', '/orgs/ORG/verbatim-pages', { bodies: [{ data: [] }] }, /^bodies\.0: /],
    ['verbatim pages without bodies', 'PUT', '/orgs/ORG/verbatim-pages', {}, /^bodies: /],
    ['verbatim pages for an unknown organization', 'PUT', '/orgs/no-such-org/verbatim-pages', { bodies: ['{}'] }, /unknown organization/],
  ] as Array<[string, string, string, unknown, RegExp]>)('%s gets 400 with a reason', async (_label, method, rawPath, body, reason) => {
    const path = rawPath.replace('ORG', org.id);
    const payload = body === undefined ? undefined : JSON.stringify(body).replace('"DUPLICATE"', JSON.stringify(org.keys.valid));
    const eventsBefore = simulator.orgs[0].eventCount;
    const response = await control(method, path, typeof body === 'string' ? body : payload);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: expect.stringMatching(reason) });
    expect(simulator.orgs[0].eventCount).toBe(eventsBefore);
  });

  it('unknown routes get 404 and wrong methods 405, each with a reason', async () => {
    expect(await control('GET', '/nothing-here')).toEqual({ status: 404, body: { error: expect.stringContaining('/_control/nothing-here') } });
    expect(await control('DELETE', '/state')).toEqual({ status: 405, body: { error: expect.stringContaining('GET') } });
  });

  it('keeps serving the API and the control API afterwards', async () => {
    await control('POST', `/orgs/${org.id}/events`, '{{{');
    const page = await client.fetchEventsPage(org.id, { limit: 500 });
    expect(page.events.length).toBeGreaterThanOrEqual(10);
    expect((await control('GET', '/state')).status).toBe(200);
  });
});

describe('what the control API steers', () => {
  it('reports state, adds events with explicit fields, and counts requests per org and endpoint', async () => {
    const state = await control('GET', '/state');
    expect(state.body).toMatchObject({ ok: true, orgs: [{ id: org.id, hasGuard: true, keys: org.keys }] });

    const added = await control('POST', `/orgs/${org.id}/events`, {
      count: 3,
      fields: { action: 'added_org_admin', actor: { id: 'confluence', email: 'Atlassian app' }, location: null },
    });
    expect(added.body).toMatchObject({ ok: true, added: 3, ids: [expect.any(String), expect.any(String), expect.any(String)] });

    expect((await control('DELETE', '/requests')).status).toBe(200);
    const newest = (await api(`/events-stream?limit=3&sortOrder=desc`)) as { data: Array<{ id: string; attributes: Record<string, unknown> }> };
    expect(newest.data.map((e) => e.id)).toEqual((added.body.ids as string[]).slice().reverse());
    for (const event of newest.data) {
      expect(event.attributes).toMatchObject({ action: 'added_org_admin', actor: { id: 'confluence', email: 'Atlassian app' } });
      expect(event.attributes.location).toBeUndefined();
    }
    await api('/event-actions');
    await api('/event-actions');
    expect((await control('GET', '/requests')).body).toEqual({ ok: true, total: 3, byOrg: { [org.id]: { 'events-stream': 1, 'event-actions': 2 } } });
  });

  it('serves a verbatim event body exactly as given, NUL, lone surrogate and impossible times included', async () => {
    const body = { id: 'verbatim-1', type: 'events', attributes: { time: '0000-01-01T00:00:00Z', processedAt: '9999-12-31T23:59:59Z', action: 'x'.repeat(3000), actor: { id: 'a', name: 'nul\u0000 and \uD800' } } };
    // As a client sends it: JSON.stringify writes the NUL and the lone surrogate as \u escapes.
    const added = await control('POST', `/orgs/${org.id}/events`, JSON.stringify({ events: [{ body }] }));
    expect(added.body).toMatchObject({ ok: true, added: 1, ids: ['verbatim-1'] });
    const newest = (await api(`/events-stream?limit=1&sortOrder=desc`)) as { data: unknown[] };
    expect(newest.data).toEqual([body]);
  });

  it('serves whole events-stream pages verbatim, in order, then the log again; an empty list clears them', async () => {
    // Any envelope and any cursor, the request's own included, and text that is no JSON at all.
    const own = 'the-cursor-asked-with';
    const pages = [JSON.stringify({ data: [{ id: 'v1' }], meta: { next: own, page_size: 1 } }), 'not json'];
    expect((await control('PUT', `/orgs/${org.id}/verbatim-pages`, { bodies: pages })).body).toEqual({ ok: true });
    const read = () => fetch(`${simulator.url}/admin/v1/orgs/${org.id}/events-stream?cursor=${own}`, { headers: { Authorization: `Bearer ${org.keys.valid}` } });
    for (const page of pages) {
      const response = await read();
      expect([response.status, response.headers.get('content-type'), await response.text()]).toEqual([200, 'application/json', page]);
    }
    expect((await read()).status).toBe(400);

    expect((await control('PUT', `/orgs/${org.id}/verbatim-pages`, { bodies: ['never served'] })).status).toBe(200);
    expect((await control('PUT', `/orgs/${org.id}/verbatim-pages`, { bodies: [] })).status).toBe(200);
    expect((await client.fetchEventsPage(org.id, { limit: 500 })).events.length).toBeGreaterThanOrEqual(10);
  });

  it('queues faults, sets rate limits and end-of-stream modes, and clears faults', async () => {
    expect((await control('POST', '/faults/next', { kind: 'server-error', count: 2, status: 502 })).status).toBe(200);
    await expect(client.validateKey(org.id)).rejects.toMatchObject({ status: 502 });
    await expect(client.validateKey(org.id)).rejects.toBeInstanceOf(TransientError);
    await expect(client.validateKey(org.id)).resolves.toBeUndefined();

    expect((await control('PUT', '/faults', { orgId: org.id, serverErrorRate: 1 })).status).toBe(200);
    await expect(client.validateKey(org.id)).rejects.toBeInstanceOf(TransientError);
    expect((await control('DELETE', '/faults')).status).toBe(200);
    await expect(client.validateKey(org.id)).resolves.toBeUndefined();

    expect((await control('PUT', '/rate-limit', { requestsPerMinute: 1, form: 'none' })).status).toBe(200);
    const outcomes = await Promise.allSettled([client.validateKey(org.id), client.validateKey(org.id), client.validateKey(org.id)]);
    expect(outcomes.some((o) => o.status === 'rejected' && o.reason instanceof RateLimitedError)).toBe(true);
    expect((await control('PUT', '/rate-limit', { requestsPerMinute: 60_000 })).status).toBe(200);
    expect((await control('PUT', '/rate-limit', { kind: 'token-bucket', requestsPerMinute: 6, windowMs: 10_000 })).status).toBe(200);
    expect((await control('GET', '/state')).body.rateLimit).toMatchObject({ kind: 'token-bucket', requestsPerMinute: 6, windowMs: 10_000 });
    await expect(client.validateKey(org.id)).resolves.toBeUndefined();
    await expect(client.validateKey(org.id)).rejects.toBeInstanceOf(RateLimitedError);
    expect((await control('PUT', '/rate-limit', { kind: 'fixed-window', requestsPerMinute: 60_000, windowMs: 60_000 })).status).toBe(200);

    expect((await control('PUT', `/orgs/${org.id}/end-of-stream`, { mode: 'links-absent' })).status).toBe(200);
    expect(simulator.orgs[0].endOfStream).toBe('links-absent');
    const all = await client.fetchEventsPage(org.id, { limit: 500 });
    expect(all.hasMore).toBe(false);
    expect(all.nextCursor).not.toBeNull();
  });

  it('adds and expires keys', async () => {
    const created = await control('POST', `/orgs/${org.id}/keys`, {});
    expect(created.body).toMatchObject({ ok: true, state: 'valid', key: expect.stringMatching(/^simkey_/) });
    const keyClient = new AtlassianClient({ baseUrl: simulator.url, apiKey: created.body.key as string });
    await expect(keyClient.validateKey(org.id)).resolves.toBeUndefined();
    expect((await control('POST', '/keys/expire', { key: created.body.key })).status).toBe(200);
    await expect(keyClient.validateKey(org.id)).rejects.toBeInstanceOf(AuthRejectedError);
  });

  it('sets the live rate and the cursor TTL', async () => {
    expect((await control('PUT', `/orgs/${org.id}/live-rate`, { eventsPerSecond: 2.5 })).status).toBe(200);
    expect(simulator.orgs[0].liveEventsPerSecond).toBe(2.5);
    expect((await control('PUT', `/orgs/${org.id}/live-rate`, { eventsPerSecond: 0 })).status).toBe(200);
    expect((await control('PUT', '/cursor-ttl', { ttlMs: 1_000 })).status).toBe(200);
    expect((await control('GET', '/state')).body.cursorTtlMs).toBe(1_000);
    expect((await control('PUT', '/cursor-ttl', { ttlMs: null })).status).toBe(200);
  });
});
