import { inspect } from 'node:util';
import { AtlassianClient } from '../../atlassian/client';
import { AtlassianApiError, AuthRejectedError, RateLimitedError, TransientError } from '../../atlassian/errors';
import { toApplicationFailure } from '../../atlassian/failures';
import type { RateLimitForm } from '../../simulator/rate-limit';
import { startSimulator, type RunningSimulator } from '../../simulator/server';

// The API key must not leak through anything produced while handling 401, 429 and 500 answers: log lines, error
// messages, stacks, serialized errors, Temporal failures, or request URLs.

const KEY = 'simkey_DO_NOT_LEAK_4f1c2a9e7b3d';

let simulator: RunningSimulator;
let orgId: string;
const captured: string[] = [];
const requestedUrls: string[] = [];
const restorers: Array<() => void> = [];

function capture(): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10, showHidden: true }))).join(' '));
    });
    restorers.push(() => spy.mockRestore());
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(String(chunk));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restorers.push(() => {
      stream.write = original;
    });
  }
}

const recordingFetch: typeof fetch = (input, init) => {
  requestedUrls.push(String(input));
  return fetch(input, init);
};

function client(timeoutMs?: number, fetchImpl: typeof fetch = recordingFetch): AtlassianClient {
  return new AtlassianClient({ baseUrl: simulator.url, apiKey: KEY, timeoutMs, fetchImpl });
}

async function failureOf(promise: Promise<unknown>): Promise<AtlassianApiError> {
  const outcome = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(AtlassianApiError);
  return outcome as AtlassianApiError;
}

/** Everything an operator or a log pipeline could see of an error, including what it becomes in Temporal. */
function renderings(error: AtlassianApiError): string[] {
  const failure = toApplicationFailure(error, 3);
  // What the code under test would typically log.
  console.error('poll failed', error);
  console.warn(failure);
  process.stderr.write(`${error.stack}\n`);
  return [
    error.message,
    String(error.stack),
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: 10, showHidden: true }),
    failure.message,
    String(failure.stack),
    JSON.stringify(failure.details),
    inspect(failure, { depth: 10, showHidden: true }),
  ];
}

beforeAll(async () => {
  simulator = await startSimulator({ seed: 21, history: { count: 20 }, orgs: [{}] });
  orgId = simulator.orgs[0].id;
  simulator.addKey(orgId, 'valid', KEY);
  capture();
});

afterAll(async () => {
  for (const restore of restorers) restore();
  await simulator.close();
});

afterEach(() => {
  simulator.clearFaults();
  simulator.setRateLimit({ requestsPerMinute: 60_000 });
});

const seen: AtlassianApiError[] = [];

describe('errors produced with a real key', () => {
  it('500', async () => {
    simulator.failNext({ kind: 'server-error', count: 1, status: 500 });
    const error = await failureOf(client().fetchEventsPage(orgId));
    expect(error).toBeInstanceOf(TransientError);
    seen.push(error);
  });

  it.each<RateLimitForm>(['retry-after-seconds', 'retry-after-date', 'reset-only', 'none'])('429 (%s)', async (form) => {
    simulator.setRateLimit({ requestsPerMinute: 1, form });
    const c = client();
    let error: AtlassianApiError | null = null;
    for (let i = 0; i < 3 && error === null; i++) {
      error = await c.fetchEventsPage(orgId, { limit: 1 }).then(
        () => null,
        (err: AtlassianApiError) => err,
      );
    }
    expect(error).toBeInstanceOf(RateLimitedError);
    seen.push(error!);
  });

  it('reset connection and timeout', async () => {
    simulator.failNext({ kind: 'reset', count: 1 });
    seen.push(await failureOf(client().fetchEventsPage(orgId)));
    simulator.failNext({ kind: 'delay', count: 1, delayMs: 2_000 });
    seen.push(await failureOf(client(100).fetchEventsPage(orgId)));
  });

  it('401 in the gateway form', async () => {
    const scopedKey = `${KEY}_scoped`;
    simulator.addKey(orgId, 'missing-scope', scopedKey);
    const error = await failureOf(new AtlassianClient({ baseUrl: simulator.url, apiKey: scopedKey, fetchImpl: recordingFetch }).validateKey(orgId));
    expect(error).toBeInstanceOf(AuthRejectedError);
    seen.push(error);
  });

  it('401 in the errors form, once the key has expired', async () => {
    simulator.expireKey(KEY);
    const error = await failureOf(client().fetchEventsPage(orgId));
    expect(error).toBeInstanceOf(AuthRejectedError);
    seen.push(error);
  });
});

describe('servers and network layers that echo the key', () => {
  it('a 401 body quoting the Authorization header is redacted', async () => {
    const echoing: typeof fetch = async (_input, init) => {
      const authorization = new Headers(init?.headers).get('authorization');
      const body = JSON.stringify({ errors: [{ status: '401', code: 'X', title: `Bad token ${authorization}` }] });
      return new Response(body, { status: 401 });
    };
    const error = await failureOf(client(undefined, echoing).fetchEventsPage(orgId));
    expect(error.message).toContain('[redacted]');
    seen.push(error);
  });

  it('a network error whose cause mentions the key is redacted', async () => {
    const leaking: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(`socket hang up while sending Bearer ${KEY}`), { code: 'ECONNRESET' }) });
    };
    const error = await failureOf(client(undefined, leaking).fetchEventsPage(orgId));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('ECONNRESET');
    seen.push(error);
  });

  it('a key that cannot be a header value is refused without quoting it', () => {
    let thrown: unknown;
    try {
      new AtlassianClient({ apiKey: `${KEY}\r\nX-Injected: 1` });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(String((thrown as Error).stack)).not.toContain(KEY);
  });
});

describe('nothing contains the key', () => {
  it('covers every kind of failure above', () => {
    expect(seen.length).toBe(11);
    expect(new Set(seen.map((e) => e.status))).toEqual(new Set([500, 429, null, 401]));
  });

  it('in error messages, stacks, serializations or Temporal failures', () => {
    for (const error of seen) {
      for (const text of renderings(error)) expect(text).not.toContain(KEY);
      expect(error.cause).toBeUndefined();
    }
  });

  it('in captured console and stdout/stderr output', () => {
    expect(captured.length).toBeGreaterThan(0);
    for (const line of captured) expect(line).not.toContain(KEY);
  });

  it('in request URLs or the client object itself', () => {
    expect(requestedUrls.length).toBeGreaterThan(0);
    for (const url of requestedUrls) expect(url).not.toContain(KEY);
    const c = client();
    expect(inspect(c, { showHidden: true, depth: 10 })).not.toContain(KEY);
    expect(JSON.stringify(c)).not.toContain(KEY);
  });
});
