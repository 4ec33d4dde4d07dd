import { AtlassianClient, type EventsPage } from '../../atlassian/client';
import {
  AtlassianApiError,
  AuthRejectedError,
  BadRequestError,
  InvalidCursorError,
  LIKELY_CAUSE,
  MalformedResponseError,
  OrgNotFoundError,
  RateLimitedError,
  ResponseTooLargeError,
  TransientError,
} from '../../atlassian/errors';
import type { EndOfStreamMode } from '../../simulator/org';
import type { RateLimitForm } from '../../simulator/rate-limit';
import { startSimulator, type RunningSimulator } from '../../simulator/server';

// The client against the embedded simulator: every error class and every end-of-stream variant.

let simulator: RunningSimulator;
let guarded: RunningSimulator['orgs'][number];
let withoutGuard: RunningSimulator['orgs'][number];

beforeAll(async () => {
  simulator = await startSimulator({ seed: 11, history: { count: 30 }, orgs: [{}, { hasGuard: false }] });
  [guarded, withoutGuard] = simulator.orgs;
});

afterAll(() => simulator.close());

afterEach(() => {
  simulator.clearFaults();
  simulator.setRateLimit({ requestsPerMinute: 60_000, form: 'retry-after-seconds' });
});

const clientWith = (apiKey: string, timeoutMs?: number) => new AtlassianClient({ baseUrl: simulator.url, apiKey, timeoutMs });

async function rejection(promise: Promise<unknown>): Promise<AtlassianApiError> {
  const outcome = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(AtlassianApiError);
  return outcome as AtlassianApiError;
}

describe('successful reads', () => {
  it('reads a page, with the rate-limit headers', async () => {
    const page = await clientWith(guarded.keys.valid).fetchEventsPage(guarded.id, { limit: 10 });
    expect(page.events).toHaveLength(10);
    expect(page.hasMore).toBe(true);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(page.rateLimit).toEqual({ limit: '60000', remaining: expect.stringMatching(/^\d+$/), reset: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/) });
  });

  it('honours from on processing time', async () => {
    const client = clientWith(guarded.keys.valid);
    const ascending = (await client.fetchEventsPage(guarded.id, { limit: 30 })).events;
    const from = Date.parse(ascending[10].attributes.processedAt!);
    const windowed = await client.fetchEventsPage(guarded.id, { from, limit: 10 });
    expect(windowed.events.map((e) => e.id)).toEqual(ascending.slice(10, 20).map((e) => e.id));
  });

  it('validates a working key and lists orgs', async () => {
    const client = clientWith(guarded.keys.valid);
    await expect(client.validateKey(guarded.id)).resolves.toBeUndefined();
    expect(await client.listOrgs()).toEqual([expect.objectContaining({ id: guarded.id, attributes: { name: guarded.name } })]);
  });
});

describe('auth and configuration errors', () => {
  it('401 in the JSON errors form (expired key) says the key expired or was revoked', async () => {
    const error = await rejection(clientWith(guarded.keys.expired).fetchEventsPage(guarded.id));
    expect(error).toBeInstanceOf(AuthRejectedError);
    expect(error.status).toBe(401);
    expect((error as AuthRejectedError).likelyCause).toBe(LIKELY_CAUSE.expiredOrRevoked);
  });

  it('401 for a key the API has never seen', async () => {
    const error = await rejection(clientWith('simkey_unknown').validateKey(guarded.id));
    expect(error).toBeInstanceOf(AuthRejectedError);
    expect((error as AuthRejectedError).likelyCause).toBe(LIKELY_CAUSE.expiredOrRevoked);
  });

  it('401 in the gateway form says the scope is missing', async () => {
    const error = await rejection(clientWith(guarded.keys.missingScope).validateKey(guarded.id));
    expect(error).toBeInstanceOf(AuthRejectedError);
    expect(error.status).toBe(401);
    expect(error.code).toBeNull();
    expect((error as AuthRejectedError).likelyCause).toBe(LIKELY_CAUSE.missingScope);
    expect(error.message).toContain('scope does not match');
  });

  it('403 ADMIN-403-3 for an organization without Atlassian Guard', async () => {
    const error = await rejection(clientWith(withoutGuard.keys.valid).validateKey(withoutGuard.id));
    expect(error).toBeInstanceOf(AuthRejectedError);
    expect(error).toMatchObject({ status: 403, code: 'ADMIN-403-3', likelyCause: LIKELY_CAUSE.notAdminOrNoGuard });
  });

  it('404 ADMIN-404-2 for an organization id the key cannot see', async () => {
    const error = await rejection(clientWith(guarded.keys.valid).fetchEventsPage('00000000-0000-4000-8000-000000000000'));
    expect(error).toBeInstanceOf(OrgNotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'ADMIN-404-2' });
  });

  it('a key that is expired later starts failing with 401', async () => {
    const key = simulator.addKey(guarded.id);
    const client = clientWith(key);
    await client.validateKey(guarded.id);
    simulator.expireKey(key);
    await expect(client.validateKey(guarded.id)).rejects.toBeInstanceOf(AuthRejectedError);
  });
});

describe('400 errors', () => {
  it.each([
    ['garbage', 'not-a-cursor'],
    ['tampered', 'WyJ4IiwwLDAsbnVsbCxudWxsLDBd.AAAAAAAAAAAAAAAAAAAAAA'],
  ])('a %s cursor is ADMIN-400-1', async (_label, cursor) => {
    const error = await rejection(clientWith(guarded.keys.valid).fetchEventsPage(guarded.id, { cursor }));
    expect(error).toBeInstanceOf(InvalidCursorError);
    expect(error).toMatchObject({ status: 400, code: 'ADMIN-400-1' });
  });

  it('a limit above the maximum is a BadRequestError', async () => {
    const error = await rejection(clientWith(guarded.keys.valid).fetchEventsPage(guarded.id, { limit: 501 }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
  });

});

describe('cursor expiry', () => {
  it('an expired cursor is ADMIN-400-1', async () => {
    let now = Date.UTC(2025, 0, 1);
    const sim = await startSimulator({ seed: 3, history: { count: 5 }, orgs: [{}], cursorTtlMs: 60_000, now: () => now });
    try {
      const [org] = sim.orgs;
      const client = new AtlassianClient({ baseUrl: sim.url, apiKey: org.keys.valid });
      const { nextCursor } = await client.fetchEventsPage(org.id, { limit: 2 });
      now += 59_000;
      await client.fetchEventsPage(org.id, { cursor: nextCursor!, limit: 2 });
      now += 2_000;
      await expect(client.fetchEventsPage(org.id, { cursor: nextCursor! })).rejects.toBeInstanceOf(InvalidCursorError);
    } finally {
      await sim.close();
    }
  });
});

describe('429 in each header form', () => {
  /** One request per window is allowed; a second (or third, should a minute boundary fall between) is refused. */
  async function rateLimited(form: RateLimitForm): Promise<RateLimitedError> {
    simulator.setRateLimit({ requestsPerMinute: 1, form });
    const client = clientWith(guarded.keys.valid);
    for (let i = 0; i < 3; i++) {
      const outcome = await client.fetchEventsPage(guarded.id, { limit: 1 }).then(
        () => null,
        (err: unknown) => err,
      );
      if (outcome !== null) {
        expect(outcome).toBeInstanceOf(RateLimitedError);
        expect(outcome).toMatchObject({ status: 429, code: 'ADMIN-429-1' });
        return outcome as RateLimitedError;
      }
    }
    throw new Error('the simulator never answered 429');
  }

  it.each<RateLimitForm>(['retry-after-seconds', 'retry-after-date', 'reset-only'])('%s gives the wait until the window resets', async (form) => {
    const error = await rateLimited(form);
    expect(error.retryAfterMs).not.toBeNull();
    expect(error.retryAfterMs!).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs!).toBeLessThanOrEqual(61_000);
    const untilNextMinute = 60_000 - (Date.now() % 60_000);
    expect(Math.abs(error.retryAfterMs! - untilNextMinute)).toBeLessThanOrEqual(2_000);
  });

  it('none leaves the wait to exponential backoff with jitter', async () => {
    const error = await rateLimited('none');
    expect(error.retryAfterMs).toBeNull();
    expect(error.delayMs(1)).toBeLessThanOrEqual(1_000);
    const later = error.delayMs(5);
    expect(later).toBeGreaterThanOrEqual(8_000);
    expect(later).toBeLessThanOrEqual(16_000);
  });
});

describe('transient failures', () => {
  it.each([500, 502, 503, 504])('%i is a TransientError', async (status) => {
    simulator.failNext({ kind: 'server-error', count: 1, status });
    const error = await rejection(clientWith(guarded.keys.valid).fetchEventsPage(guarded.id));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ status, reason: 'server-error' });
  });

  it('a reset connection is a TransientError', async () => {
    simulator.failNext({ kind: 'reset', count: 1 });
    const error = await rejection(clientWith(guarded.keys.valid).fetchEventsPage(guarded.id));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ status: null, reason: 'network' });
  });

  it('a response slower than the timeout is a TransientError, and the client does not wait it out', async () => {
    simulator.failNext({ kind: 'delay', count: 1, delayMs: 3_000 });
    const started = Date.now();
    const error = await rejection(clientWith(guarded.keys.valid, 200).fetchEventsPage(guarded.id));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ reason: 'timeout' });
    expect(error.message).toContain('200 ms');
  });

  it('activity cancellation surfaces as the abort reason, not as a retryable failure', async () => {
    simulator.failNext({ kind: 'delay', count: 1, delayMs: 3_000 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 100);
    await expect(clientWith(guarded.keys.valid).fetchEventsPage(guarded.id, {}, controller.signal)).rejects.toBe(reason);
  });

  it('an already-aborted signal sends no request', async () => {
    simulator.resetRequestCounts();
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(clientWith(guarded.keys.valid).fetchEventsPage(guarded.id, {}, controller.signal)).rejects.toThrow('gone');
    expect(simulator.requestCounts().total).toBe(0);
  });
});

describe('malformed responses', () => {
  it.each([
    ['truncated JSON', 'truncated-json', '$'],
    ['an HTML body', 'invalid-json', '$'],
  ] as const)('%s is a MalformedResponseError naming the path', async (_label, kind, path) => {
    simulator.failNext({ kind, count: 1 });
    const error = await rejection(clientWith(guarded.keys.valid).fetchEventsPage(guarded.id, { limit: 5 }));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).path).toBe(path);
    expect(error.status).toBe(200);
  });

  it('an event without its action is rejected on its own, and the rest of the page is read', async () => {
    simulator.failNext({ kind: 'malformed-event', count: 1 });
    const page = await clientWith(guarded.keys.valid).fetchEventsPage(guarded.id, { limit: 5 });
    expect(page.events).toHaveLength(4);
    expect(page.rejected).toHaveLength(1);
    const [rejected] = page.rejected!;
    expect(rejected.reason).toMatch(/^attributes\.action: /);
    const raw = JSON.parse(rejected.raw);
    expect(rejected.eventId).toBe(raw.id);
    expect(raw.attributes.action).toBeUndefined();
    // None dropped: the same page asked again holds the five events, the rejected one among them.
    const again = await clientWith(guarded.keys.valid).fetchEventsPage(guarded.id, { limit: 5 });
    expect(again.events.map((e) => e.id)).toEqual([rejected.eventId, ...page.events.map((e) => e.id)]);
  });
});

describe('a body past the cap', () => {
  it('is a ResponseTooLargeError within seconds, read no further, and the page asked again comes whole', async () => {
    simulator.failNext({ kind: 'huge-body', count: 1 });
    const client = new AtlassianClient({ baseUrl: simulator.url, apiKey: guarded.keys.valid, maxResponseBytes: 1024 * 1024 });
    const started = Date.now();
    const error = await rejection(client.fetchEventsPage(guarded.id, { limit: 5 }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ status: 200, maxBytes: 1024 * 1024 });
    expect(error.message).toBe('Atlassian events-stream response is larger than 1048576 bytes (ATLASSIAN_MAX_RESPONSE_BYTES); the rest was not read');
    expect((await client.fetchEventsPage(guarded.id, { limit: 5 })).events).toHaveLength(5);
    // Below the cap, a large body is read whole.
    simulator.failNext({ kind: 'huge-body', count: 1, bytes: 512 * 1024 });
    expect(await client.fetchEventsPage(guarded.id, { limit: 5 })).toMatchObject({ events: [], hasMore: false });
  });
});

describe('a page that hands back its own cursor', () => {
  it('has no more and says so, rather than being asked for again for ever', async () => {
    const client = clientWith(guarded.keys.valid);
    const first = await client.fetchEventsPage(guarded.id, { limit: 5 });
    const cursor = first.nextCursor!;
    simulator.failNext({ kind: 'repeat-cursor', count: 1 });
    const looping = await client.fetchEventsPage(guarded.id, { limit: 5, cursor });
    expect(looping.events).toHaveLength(5);
    expect(looping.nextCursor).toBe(cursor);
    expect(looping).toMatchObject({ cursorRepeated: true, hasMore: false });
    // An honest page from the same cursor moves on.
    const honest = await client.fetchEventsPage(guarded.id, { limit: 5, cursor });
    expect(honest.cursorRepeated).toBeUndefined();
    expect(honest).toMatchObject({ hasMore: true });
    expect(honest.nextCursor).not.toBe(cursor);
  });
});

describe('end of stream, in each of the three variants', () => {
  /** Pages through the whole stream as a poller does, keeping the last non-null cursor. */
  async function drain(client: AtlassianClient, orgId: string, cursor: string | undefined, limit: number) {
    const pages: EventsPage[] = [];
    for (;;) {
      const page = await client.fetchEventsPage(orgId, { cursor, limit });
      pages.push(page);
      cursor = page.nextCursor ?? cursor;
      if (!page.hasMore) return { pages, cursor, ids: pages.flatMap((p) => p.events.map((e) => e.id)) };
    }
  }

  it.each<[EndOfStreamMode, number, Array<[number, boolean, boolean]>]>([
    // [events per page, hasMore, nextCursor present] for 6 events read 3 at a time
    ['empty-then-null', 6, [[3, true, true], [3, true, true], [0, false, false]]],
    ['empty-with-cursor', 6, [[3, true, true], [3, true, true], [0, false, true]]],
    ['links-absent', 6, [[3, true, true], [3, false, true]]],
    // A short last page needs no extra request, whatever the variant.
    ['empty-then-null', 7, [[3, true, true], [3, true, true], [1, false, true]]],
  ])('%s with %i events', async (mode, count, expectedPages) => {
    const sim = await startSimulator({ seed: 5, orgs: [{ history: { count } }], endOfStream: mode });
    try {
      const [org] = sim.orgs;
      const client = new AtlassianClient({ baseUrl: sim.url, apiKey: org.keys.valid });
      const first = await drain(client, org.id, undefined, 3);
      expect(first.pages.map((p) => [p.events.length, p.hasMore, p.nextCursor !== null])).toEqual(expectedPages);
      expect(new Set(first.ids).size).toBe(count);

      // Polling later with the kept cursor yields exactly what was added since.
      expect((await drain(client, org.id, first.cursor, 3)).ids).toEqual([]);
      const added = sim.addEvents(org.id, { count: 4 });
      const second = await drain(client, org.id, first.cursor, 3);
      expect(second.ids).toEqual(added);
      expect(second.pages.at(-1)!.hasMore).toBe(false);
    } finally {
      await sim.close();
    }
  });
});
