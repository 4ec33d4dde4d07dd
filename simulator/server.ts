import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiError, handleApi, json, MAX_PAGE_LIMIT, routeOf, type ApiResponse } from './api';
import { handleControl, isControlPath } from './control';
import type { FaultKind, FaultRates, QueuedFault } from './faults';
import type { EndOfStreamMode, HistoryOptions } from './org';
import { MINUTE_MS, type RateLimitSettings } from './rate-limit';
import { SimulatorState, type AddEventsInput, type KeyState, type OrgInfo, type OrgSpec, type RequestCounts } from './state';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Everything generated (org ids, keys, events, rate-based faults) follows from it. */
  seed?: number;
  /** Default: two organizations with Atlassian Guard and one without. */
  orgs?: OrgSpec[];
  /** Default for every org: 1,000 events over the 7 days before start. */
  history?: Partial<HistoryOptions>;
  /** New events per second per org, appearing as time passes. Default 0. */
  liveEventsPerSecond?: number;
  /** Share of events whose time is far older than their processing time. Default 0.02. */
  lateEventRatio?: number;
  endOfStream?: EndOfStreamMode;
  /** Cursors older than this are refused with 400 ADMIN-400-1; null (default) never expires them. */
  cursorTtlMs?: number | null;
  /** The largest page served, below the 500 a request may ask for: more pages per event, as a slower API has. */
  maxPageSize?: number;
  /** Per key. Default: 60,000 requests/min (not a constraint), 429s in the Retry-After-seconds form. */
  rateLimit?: Partial<RateLimitSettings>;
  faults?: Partial<FaultRates>;
  controlToken?: string;
  /** Clock for processing times, live events, cursor expiry and rate windows. Default Date.now. */
  now?: () => number;
}

export interface RunningSimulator {
  url: string;
  controlToken: string;
  /** The organizations with their demo keys and current settings. */
  readonly orgs: OrgInfo[];
  close(): Promise<void>;
  addEvents(orgId: string, input?: AddEventsInput): string[];
  setEndOfStream(orgId: string, mode: EndOfStreamMode): void;
  /** The org's next events-stream requests get these bodies as they are, in order (200, JSON content type). */
  setVerbatimPages(orgId: string, bodies: readonly string[]): void;
  setLiveRate(orgId: string, eventsPerSecond: number): void;
  setCursorTtl(ttlMs: number | null): void;
  setRateLimit(settings: Partial<RateLimitSettings>): void;
  setFaults(rates: Partial<FaultRates>, orgId?: string, seed?: number): void;
  failNext(fault: QueuedFault): void;
  clearFaults(): void;
  addKey(orgId: string, state?: KeyState, key?: string): string;
  expireKey(key: string): void;
  requestCounts(): RequestCounts;
  resetRequestCounts(): void;
  /** The ids of every event the org holds now, to compare with what a consumer stored. */
  eventIds(orgId: string): string[];
  /** How many requests were answered with 429. */
  rateLimitedCount(): number;
  /** The most requests the rate limit answers to one key over a run of this long that starts on a window boundary. */
  allowedRequests(durationMs: number): number;
  /** How many requests got each injected fault (rates and queued). */
  injectedFaults(): Partial<Record<FaultKind, number>>;
}

const DEFAULT_ORGS: OrgSpec[] = [{}, {}, { hasGuard: false }];
const DEFAULT_HISTORY: HistoryOptions = { count: 1_000, spanMs: 7 * 24 * 3_600_000 };
const MAX_CONTROL_BODY_BYTES = 16 * 1024 * 1024;

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const controlToken = options.controlToken ?? randomBytes(24).toString('base64url');
  const pendingDelays = new Set<NodeJS.Timeout>();
  let state: SimulatorState | undefined;

  const server = createServer((req, res) => {
    handle(state!, controlToken, pendingDelays, req, res).catch((err: unknown) => {
      // A simulator bug must not take the process down; the client sees a 500 like any other.
      process.stderr.write(`simulator: request failed: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!res.headersSent && !res.destroyed) send(res, apiError(500, 'ADMIN-500-1', 'Internal server error'));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  try {
    state = new SimulatorState({
      seed: options.seed ?? 1,
      selfBaseUrl: url,
      orgs: options.orgs ?? DEFAULT_ORGS,
      history: { ...DEFAULT_HISTORY, ...options.history },
      liveEventsPerSecond: options.liveEventsPerSecond ?? 0,
      lateEventRatio: options.lateEventRatio ?? 0.02,
      endOfStream: options.endOfStream ?? 'empty-then-null',
      cursorTtlMs: options.cursorTtlMs ?? null,
      maxPageSize: options.maxPageSize ?? MAX_PAGE_LIMIT,
      rateLimit: { kind: 'fixed-window', requestsPerMinute: 60_000, windowMs: MINUTE_MS, form: 'retry-after-seconds', ...options.rateLimit },
      faults: options.faults ?? {},
      now: options.now ?? Date.now,
    });
  } catch (err) {
    server.close();
    throw err;
  }
  const s = state;

  return {
    url,
    controlToken,
    get orgs() {
      return s.describeOrgs();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pendingDelays) clearTimeout(timer);
        pendingDelays.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    addEvents: (orgId, input = {}) => s.addEvents(orgId, input),
    setEndOfStream: (orgId, mode) => s.setEndOfStream(orgId, mode),
    setVerbatimPages: (orgId, bodies) => s.setVerbatimPages(orgId, bodies),
    setLiveRate: (orgId, eventsPerSecond) => s.setLiveRate(orgId, eventsPerSecond),
    setCursorTtl: (ttlMs) => s.setCursorTtl(ttlMs),
    setRateLimit: (settings) => s.setRateLimit(settings),
    setFaults: (rates, orgId, seed) => s.setFaults(rates, orgId, seed),
    failNext: (fault) => s.failNext(fault),
    clearFaults: () => s.clearFaults(),
    addKey: (orgId, keyState, key) => s.addKey(orgId, keyState, key),
    expireKey: (key) => s.setKeyState(key, 'expired'),
    requestCounts: () => s.requestCounts(),
    resetRequestCounts: () => s.resetRequestCounts(),
    eventIds: (orgId) => s.org(orgId)?.log.ids() ?? [],
    rateLimitedCount: () => s.rateLimiter.refused,
    allowedRequests: (durationMs) => s.rateLimiter.allowedRequests(durationMs),
    injectedFaults: () => s.faults.injectedCounts(),
  };
}

async function handle(
  state: SimulatorState,
  controlToken: string,
  pendingDelays: Set<NodeJS.Timeout>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const pathname = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);

  if (isControlPath(pathname)) {
    const body = await readBody(req);
    const result =
      body === null
        ? { status: 400, body: { error: `body larger than ${MAX_CONTROL_BODY_BYTES} bytes` } }
        : handleControl(state, controlToken, { method: req.method ?? 'GET', pathname, authorization: req.headers.authorization, body });
    send(res, json(result.status, result.body));
    return;
  }

  const route = routeOf(pathname);
  const key = bearerToken(req.headers.authorization);
  const keyOrgId = key === null ? undefined : state.keyRecord(key)?.orgId;
  const orgId = route.orgId ?? keyOrgId ?? null;
  state.countRequest(orgId ?? '(unknown)', route.endpoint);
  if (req.method !== 'GET') return send(res, apiError(405, 'ADMIN-405-1', 'Method not allowed', 'Only GET is supported'));

  let rateHeaders: Record<string, string> = {};
  if (key !== null) {
    const decision = state.rateLimiter.take(key, state.now());
    if (decision.limited) return send(res, rateLimited(decision.headers));
    rateHeaders = decision.headers;
  }

  const decision = state.faults.decide(orgId);
  if (decision.delayMs > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        pendingDelays.delete(timer);
        resolve();
      }, decision.delayMs);
      pendingDelays.add(timer);
    });
    // The client may have given up meanwhile.
    if (res.destroyed || req.socket.destroyed) return;
  }
  if (decision.fault === 'reset') {
    req.socket.destroy();
    return;
  }
  if (decision.fault === 'huge-body' && route.endpoint !== 'unknown') return streamHugeBody(res, rateHeaders, decision.bytes);
  if (decision.fault === 'rate-limited' && key !== null) return send(res, rateLimited(state.rateLimiter.refuse(state.now()).headers));
  const response =
    decision.fault === 'server-error'
      ? apiError(decision.status, `ADMIN-${decision.status}-1`, 'Server error', 'Simulated server failure')
      : handleApi(
          state,
          { ...route, pathname, pathAndQuery: rawUrl, query: new URLSearchParams(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1)), key },
          { repeatEvent: decision.fault === 'repeat-event', malformedEvent: decision.fault === 'malformed-event', repeatCursor: decision.fault === 'repeat-cursor' },
        );
  response.headers = { ...response.headers, ...rateHeaders };

  const succeeded = response.status >= 200 && response.status < 300;
  if (succeeded && decision.fault === 'truncated-json') {
    // Chunked and ended cleanly, so the client receives a complete HTTP response whose JSON stops half-way.
    res.writeHead(response.status, response.headers);
    res.end(response.body.slice(0, Math.floor(response.body.length / 2)));
    return;
  }
  if (succeeded && decision.fault === 'invalid-json') {
    return send(res, { status: 200, headers: { ...rateHeaders, 'Content-Type': 'text/html' }, body: '<html><body><h1>Service temporarily unavailable</h1></body></html>' });
  }
  send(res, response);
}

/** A valid page if read to its end, padded to `totalBytes` with a string made as the client reads. */
function streamHugeBody(res: ServerResponse, headers: Record<string, string>, totalBytes: number): void {
  const head = '{"data":[],"meta":{"next":null},"padding":"';
  const tail = '"}';
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = Math.max(0, totalBytes - head.length - tail.length);
  res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
  res.write(head);
  const pour = () => {
    while (left > 0 && !res.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) return;
    }
    if (!res.destroyed && !res.writableEnded) res.end(tail);
  };
  res.on('drain', pour);
  pour();
}

function rateLimited(headers: Record<string, string>): ApiResponse {
  const limited = apiError(429, 'ADMIN-429-1', 'Too many requests', 'Rate limit exceeded');
  return { ...limited, headers: { ...limited.headers, ...headers } };
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (res.destroyed) return;
  res.writeHead(response.status, { ...response.headers, 'Content-Length': Buffer.byteLength(response.body) });
  res.end(response.body);
}

function bearerToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1] : null;
}

/** The request body as text, or null when it exceeds the limit. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONTROL_BODY_BYTES) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? null : Buffer.concat(chunks).toString('utf8');
}
