import { AtlassianClient, interpretPage } from '../../atlassian/client';
import { MalformedResponseError } from '../../atlassian/errors';
import { auditEventSchema, eventsPageSchema, MAX_EVENT_DEPTH, parseRfc3339 } from '../../atlassian/schema';

const minimalEvent = () => ({
  id: '0f5b8a52-6a4e-4f0e-9d1b-1f2a3b4c5d6e',
  attributes: { time: '2024-03-01T10:00:00Z', action: 'user_login', actor: { id: '557058:abc' } },
});

function withAttributes(extra: Record<string, unknown>) {
  const event = minimalEvent();
  return { ...event, attributes: { ...event.attributes, ...extra } };
}

/** A client whose fetch answers every request with this body, to drive parsing without a server. */
function clientAnswering(body: string, status = 200): AtlassianClient {
  const fetchImpl = (async () => new Response(body, { status, headers: { 'Content-Type': 'application/json' } })) as typeof fetch;
  return new AtlassianClient({ baseUrl: 'http://stub.invalid', apiKey: 'schema-test-key', fetchImpl });
}

async function malformedError(body: string): Promise<MalformedResponseError> {
  const error = await clientAnswering(body).fetchEventsPage('org-1').then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(MalformedResponseError);
  return error as MalformedResponseError;
}

describe('parseRfc3339', () => {
  it.each([
    ['2024-03-01T10:00:00Z', Date.UTC(2024, 2, 1, 10)],
    ['2024-03-01T10:00:00.123Z', Date.UTC(2024, 2, 1, 10, 0, 0, 123)],
    ['2024-03-01T10:00:00.123456Z', Date.UTC(2024, 2, 1, 10, 0, 0, 123)],
    ['2024-03-01T12:00:00+02:00', Date.UTC(2024, 2, 1, 10)],
    ['2024-03-01t10:00:00z', Date.UTC(2024, 2, 1, 10)],
  ])('reads %s', (text, expected) => {
    expect(parseRfc3339(text)).toBe(expected);
  });

  it.each(['', 'yesterday', '2024-03-01', '2024-03-01 10:00:00Z', '2024-13-01T10:00:00Z', '2024-03-01T10:00:00', '1709287200000'])(
    'refuses %p',
    (text) => {
      expect(parseRfc3339(text)).toBeNaN();
    },
  );
});

describe('auditEventSchema accepts the documented variants', () => {
  it('accepts an event with only the required fields', () => {
    expect(auditEventSchema.safeParse(minimalEvent()).success).toBe(true);
  });

  it.each([
    ['time with milliseconds', withAttributes({ time: '2024-03-01T10:00:00.123Z' })],
    ['time without milliseconds', withAttributes({ time: '2024-03-01T10:00:00Z' })],
    ['processedAt present', withAttributes({ processedAt: '2024-03-01T10:00:01.5Z' })],
    ['system actor whose email is not an e-mail', withAttributes({ actor: { id: 'confluence', email: 'Atlassian app' } })],
    ['empty strings', withAttributes({ actor: { id: '5b10ac8d82e05b22cc7d4ef5', name: '', email: '' }, location: { ip: '', geo: '', city: '' } })],
    ['empty context', withAttributes({ context: [] })],
    ['location with only geo', withAttributes({ location: { geo: 'Poland' } })],
    ['null location and container', withAttributes({ location: null, container: null })],
    ['actor with auth, onBehalfOf, app and links', withAttributes({
      actor: {
        id: '557058:abc',
        auth: { authType: 'api-token', tokenId: 't1', tokenLabel: 'ci' },
        onBehalfOf: { id: 'x' },
        app: { id: 'app', anything: 1 },
        links: { self: 'https://api.atlassian.com/users/x', alt: 'https://admin.atlassian.com/users/x' },
      },
    })],
    ['context entries with free-form attributes', withAttributes({
      context: [{ id: 'g1', type: 'groups', attributes: { name: 'admins', nested: { deep: [1, 2] } } }, { id: 'u' }],
      container: [{ id: 'p1', type: 'AuthenticationPolicy' }],
    })],
  ])('accepts %s', (_label, event) => {
    const result = auditEventSchema.safeParse(event);
    expect(result.error?.issues).toBeUndefined();
    expect(result.success).toBe(true);
  });

  it('accepts null relations, both message formats, and no message at all', () => {
    for (const extra of [{ relations: null }, { message: { content: 'x', format: 'simple' } }, { message: { content: 'x', format: 'text/plain' } }, { message: null }]) {
      expect(auditEventSchema.safeParse({ ...minimalEvent(), ...extra }).success).toBe(true);
    }
  });

  it('keeps unknown fields at every level so the raw event can be stored verbatim', () => {
    const event = {
      ...minimalEvent(),
      newTopLevel: { a: 1 },
      attributes: {
        ...minimalEvent().attributes,
        futureField: 'kept',
        actor: { id: '557058:abc', futureActorField: [1] },
        location: { geo: 'Chile', asn: 64512 },
      },
      links: { self: 'https://api.atlassian.com/x', extra: 'y' },
    };
    const parsed = auditEventSchema.parse(event);
    expect(parsed).toEqual(event);
  });
});

describe('auditEventSchema refuses garbage', () => {
  const withoutId: Record<string, unknown> = minimalEvent();
  delete withoutId.id;
  it.each([
    ['no id', withoutId, 'id'],
    ['empty id', { ...minimalEvent(), id: '' }, 'id'],
    ['no action', withAttributes({ action: undefined }), 'attributes.action'],
    ['no time', withAttributes({ time: undefined }), 'attributes.time'],
    ['unparsable time', withAttributes({ time: 'last Tuesday' }), 'attributes.time'],
    ['epoch number as time', withAttributes({ time: 1709287200000 }), 'attributes.time'],
    ['unparsable processedAt', withAttributes({ processedAt: 'soon' }), 'attributes.processedAt'],
    ['no actor', withAttributes({ actor: undefined }), 'attributes.actor'],
    ['actor without id', withAttributes({ actor: { name: 'Ada' } }), 'attributes.actor.id'],
    ['no attributes', { id: 'x' }, 'attributes'],
  ])('refuses an event with %s', (_label, event, path) => {
    const result = auditEventSchema.safeParse(event);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].path.join('.')).toBe(path);
  });
});

describe('events page parsing through the client', () => {
  it('rejects each event that fails its schema on its own, and keeps every other event of the page', async () => {
    const good = (id: string) => ({ ...minimalEvent(), id });
    const noId = { attributes: minimalEvent().attributes };
    const badTime = { ...withAttributes({ time: 'not a time' }), id: 'bad-time' };
    const data = [good('a'), noId, badTime, 'not an event', null, { ...withAttributes({ actor: {} }), id: 'no-actor-id' }, good('z')];
    const page = await clientAnswering(JSON.stringify({ data, meta: { next: null } })).fetchEventsPage('org-1');
    expect(page.events.map((e) => e.id)).toEqual(['a', 'z']);
    expect(page.rejected).toEqual([
      { eventId: null, reason: expect.stringMatching(/^id: /), raw: JSON.stringify(noId) },
      { eventId: 'bad-time', reason: 'attributes.time: unparsable time', raw: JSON.stringify(badTime) },
      { eventId: null, reason: expect.stringMatching(/^\$: /), raw: '"not an event"' },
      { eventId: null, reason: expect.stringMatching(/^\$: /), raw: 'null' },
      { eventId: 'no-actor-id', reason: expect.stringMatching(/^attributes\.actor\.id: /), raw: expect.any(String) },
    ]);
    expect(page.events.length + page.rejected!.length).toBe(data.length);
    // Absent when every event is readable.
    expect(await clientAnswering(JSON.stringify({ data: [minimalEvent()] })).fetchEventsPage('org-1')).not.toHaveProperty('rejected');
  });

  it('keeps a rejected event exactly, odd characters and all', async () => {
    const hostile = { id: 'odd', attributes: { time: '2024-03-01T10:00:00Z', actor: { id: 'x', name: 'nul\u0000 and \ud800 alone' } } };
    const page = await clientAnswering(JSON.stringify({ data: [hostile] })).fetchEventsPage('org-1');
    expect(page.events).toEqual([]);
    expect(JSON.parse(page.rejected![0].raw)).toEqual(hostile);
    expect(page.rejected![0].reason).toMatch(/^attributes\.action: /);
  });

  // Found by the fuzzed pages: JSON.stringify of an event 5,000 levels deep ran out of stack, and the page failed on
  // every retry with a RangeError.
  it('rejects an event nested deeper than MAX_EVENT_DEPTH with its exact text, and keeps one just within it', async () => {
    const nested = (levels: number) => `${'{"k":'.repeat(levels)}"bottom"${'}'.repeat(levels)}`;
    const deepEvent = (name: string, extraLevels: number) => `{"id":"${name}","attributes":{"time":"2024-03-01T10:00:00Z","action":"a","actor":{"id":"x"}},"extra":${nested(extraLevels)}}`;
    // The event and its extra field are two levels; an id that is no string is rejected for that, as deep as it is.
    const body = `{"data":[${deepEvent('within', MAX_EVENT_DEPTH - 2)},${deepEvent('too-deep', 5_000)},{"id":${nested(6_000)}}]}`;
    const page = await clientAnswering(body).fetchEventsPage('org-1');
    expect(page.events.map((event) => event.id)).toEqual(['within']);
    expect(page.rejected!.map(({ eventId, reason }) => [eventId, reason])).toEqual([
      ['too-deep', `$: nested more than ${MAX_EVENT_DEPTH} levels deep`],
      [null, expect.stringMatching(/^id: /)],
    ]);
    expect(page.rejected!.map((r) => r.raw)).toEqual([deepEvent('too-deep', 5_000), `{"id":${nested(6_000)}}`]);
  });

  it.each([
    ['non-JSON', '<html>gateway timeout</html>', '$'],
    ['truncated JSON', '{"data":[{"id":"a","attributes":{"ti', '$'],
    ['an array at the top', '[]', '$'],
    ['data that is not an array', '{"data":{"id":"x"}}', 'data'],
    ['no data', '{"meta":{"next":null}}', 'data'],
    ['a bare string', '"hello"', '$'],
  ])('refuses %s with a typed error', async (_label, body, path) => {
    const error = await malformedError(body);
    expect(error.path).toBe(path);
    expect(error.name).toBe('MalformedResponseError');
  });

  it('never echoes a large body into the error', async () => {
    const marker = 'SECRET-LOOKING-BODY-CONTENT';
    const huge = `{"data":[${JSON.stringify({ id: 'x', attributes: { action: marker.repeat(10_000) } })}]`;
    const error = await malformedError(huge);
    expect(error.message).not.toContain(marker);
    expect(error.message.length).toBeLessThan(300);
    expect(JSON.stringify(error)).not.toContain(marker);
  });

  it('returns every valid event, including ones with nothing optional', async () => {
    const events = [minimalEvent(), { ...withAttributes({ location: { geo: 'Peru' }, context: [] }), id: 'second', relations: null }];
    const page = await clientAnswering(JSON.stringify({ data: events, meta: { next: 'c1', page_size: 200 }, links: { next: 'x' } })).fetchEventsPage('org-1');
    expect(page.events).toEqual(events);
    expect(page.nextCursor).toBe('c1');
  });
});

describe('interpretPage: the end-of-stream rule', () => {
  const events = (n: number) => Array.from({ length: n }, (_, i) => ({ ...minimalEvent(), id: `e${i}` }));
  const page = (body: unknown) => eventsPageSchema.parse(body);

  it('a full page with a cursor and links.next has more', () => {
    expect(interpretPage(page({ data: events(3), meta: { next: 'c' }, links: { next: 'u' } }), 3)).toMatchObject({ nextCursor: 'c', hasMore: true });
  });

  it('variant 1: the empty page with a null cursor ends the stream and gives no cursor', () => {
    expect(interpretPage(page({ data: [], meta: { next: null }, links: {} }), 3)).toMatchObject({ nextCursor: null, hasMore: false });
  });

  it('variant 2: an empty page that still carries a cursor ends the stream but hands over the cursor', () => {
    expect(interpretPage(page({ data: [], meta: { next: 'c2' }, links: { next: 'u' } }), 3)).toMatchObject({ nextCursor: 'c2', hasMore: false });
  });

  it('variant 3: links.next absent while meta.next is present ends the stream but keeps the cursor', () => {
    expect(interpretPage(page({ data: events(3), meta: { next: 'c3' }, links: { self: 's' } }), 3)).toMatchObject({ nextCursor: 'c3', hasMore: false });
  });

  it('a short page has drained the stream', () => {
    expect(interpretPage(page({ data: events(2), meta: { next: 'c' }, links: { next: 'u' } }), 3).hasMore).toBe(false);
  });

  it('uses the smaller of the requested limit and meta.page_size, and any non-empty page when neither is known', () => {
    expect(interpretPage(page({ data: events(2), meta: { next: 'c', page_size: 2 }, links: { next: 'u' } }), 500).hasMore).toBe(true);
    expect(interpretPage(page({ data: events(1), meta: { next: 'c' }, links: { next: 'u' } }), undefined).hasMore).toBe(true);
  });

  it('a full page whose next cursor is the one it was asked with has no more, and says the cursor repeated', () => {
    const looping = page({ data: events(3), meta: { next: 'c' }, links: { next: 'u' } });
    expect(interpretPage(looping, 3, 'c')).toMatchObject({ nextCursor: 'c', hasMore: false, cursorRepeated: true });
    expect(interpretPage(looping, 3, 'b')).toMatchObject({ nextCursor: 'c', hasMore: true });
    expect(interpretPage(looping, 3, 'b')).not.toHaveProperty('cursorRepeated');
    // The end of the stream may hand the same cursor back: that is variant 2, not a loop.
    expect(interpretPage(page({ data: [], meta: { next: 'c' }, links: { next: 'u' } }), 3, 'c')).not.toHaveProperty('cursorRepeated');
  });

  it('makes a cursor with a NUL or a lone surrogate storable, and knows it again when the API hands it back', () => {
    const looping = page({ data: events(3), meta: { next: 'c\u0000\uD800' }, links: { next: 'u' } });
    expect(interpretPage(looping, 3)).toMatchObject({ nextCursor: 'c\uFFFD\uFFFD', hasMore: true });
    expect(interpretPage(looping, 3, 'c\uFFFD\uFFFD')).toMatchObject({ nextCursor: 'c\uFFFD\uFFFD', hasMore: false, cursorRepeated: true });
  });

  it('treats an empty-string cursor as no cursor', () => {
    expect(interpretPage(page({ data: events(3), meta: { next: '' } }), 3)).toMatchObject({ nextCursor: null, hasMore: false });
  });
});
