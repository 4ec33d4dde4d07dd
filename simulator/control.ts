import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { safeDecode } from './api';
import { FAULT_KINDS } from './faults';
import { END_OF_STREAM_MODES } from './org';
import { RATE_LIMIT_FORMS, RATE_LIMIT_HEADERS, RATE_LIMIT_KINDS } from './rate-limit';
import { KEY_STATES, SimulatorInputError, type SimulatorState } from './state';

// The control API that tests and the demo use to steer the simulator, under /_control/. Every body is validated
// strictly (unknown fields, wrong types and negative numbers are refused with 400 and a reason), and a refused
// request changes nothing.

export interface ControlResponse {
  status: number;
  body: unknown;
}

const jsonObject = z.record(z.string(), z.unknown());
const count = z.number().int().min(1);
const orgId = z.string().min(1);

const eventFields = z.strictObject({
  id: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  time: z.string().optional(),
  lagMs: z.number().int().nonnegative().optional(),
  actor: jsonObject.optional(),
  context: z.array(jsonObject).optional(),
  container: z.array(jsonObject).optional(),
  location: jsonObject.nullable().optional(),
  message: jsonObject.nullable().optional(),
  // The event exactly as the stream serves it, hostile content included; it takes its place in the log now.
  body: jsonObject.optional(),
}).refine((event) => event.body === undefined || Object.keys(event).length === 1, 'give either body, or generated fields');

const addEventsBody = z
  .strictObject({
    count: count.max(1_000_000).optional(),
    fields: eventFields.optional(),
    events: z.array(eventFields).min(1).max(100_000).optional(),
  })
  .refine((body) => !(body.events && (body.count !== undefined || body.fields)), 'give either events, or count with optional fields');

// Whole pages as text, so that a test can send what no generated page holds: any envelope, any meta.next, not JSON.
const verbatimPagesBody = z.strictObject({ bodies: z.array(z.string()).max(1_000) });

const rate = z.number().min(0).max(1);
const faultsBody = z.strictObject({
  orgId: orgId.optional(),
  seed: z.number().int().optional(),
  serverErrorRate: rate.optional(),
  serverErrorStatus: z.number().int().min(500).max(599).optional(),
  resetRate: rate.optional(),
  truncatedJsonRate: rate.optional(),
  invalidJsonRate: rate.optional(),
  malformedEventRate: rate.optional(),
  repeatEventRate: rate.optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
});

const failNextBody = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  count: count.max(1_000_000).default(1),
  orgId: orgId.optional(),
  status: z.number().int().min(500).max(599).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  bytes: z.number().int().min(1).max(2 ** 40).optional(),
});

/** Any text a header may carry: the point is to send what a broken or hostile API would. */
const headerValue = z.string().max(1_000).regex(/^[\x20-\x7e]*$/, 'must be printable ASCII');
const rateLimitBody = z.strictObject({
  kind: z.enum(RATE_LIMIT_KINDS).optional(),
  requestsPerMinute: count.optional(),
  windowMs: z.number().int().min(1_000).max(3_600_000).optional(),
  form: z.enum(RATE_LIMIT_FORMS).optional(),
  headers: z.partialRecord(z.enum(RATE_LIMIT_HEADERS), headerValue).nullable().optional(),
});

const endOfStreamBody = z.strictObject({ mode: z.enum(END_OF_STREAM_MODES) });
const liveRateBody = z.strictObject({ eventsPerSecond: z.number().min(0).max(100_000) });
const cursorTtlBody = z.strictObject({ ttlMs: z.number().int().min(0).nullable() });
const addKeyBody = z.strictObject({ state: z.enum(KEY_STATES).default('valid'), key: z.string().regex(/^[\x21-\x7e]+$/).optional() });
const expireKeyBody = z.strictObject({ key: z.string().min(1) });
const emptyBody = z.strictObject({});

type Handler = (state: SimulatorState, params: string[], body: unknown) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  schema: z.ZodType;
  handle: Handler;
}

const route = <S extends z.ZodType>(method: string, pattern: RegExp, schema: S, handle: (state: SimulatorState, params: string[], body: z.output<S>) => unknown): Route =>
  ({ method, pattern, schema, handle: handle as Handler });

const ROUTES: Route[] = [
  route('GET', /^\/_control\/state$/, emptyBody, (state) => ({
    orgs: state.describeOrgs(),
    rateLimit: state.rateLimiter.settings,
    cursorTtlMs: state.cursorTtlMs,
  })),
  route('POST', /^\/_control\/orgs\/([^/]+)\/events$/, addEventsBody, (state, [id], body) => {
    const ids = state.addEvents(id, body);
    return { added: ids.length, ids: ids.length <= 1000 ? ids : undefined };
  }),
  route('PUT', /^\/_control\/orgs\/([^/]+)\/verbatim-pages$/, verbatimPagesBody, (state, [id], body) => state.setVerbatimPages(id, body.bodies)),
  route('PUT', /^\/_control\/orgs\/([^/]+)\/end-of-stream$/, endOfStreamBody, (state, [id], body) => state.setEndOfStream(id, body.mode)),
  route('PUT', /^\/_control\/orgs\/([^/]+)\/live-rate$/, liveRateBody, (state, [id], body) => state.setLiveRate(id, body.eventsPerSecond)),
  route('POST', /^\/_control\/orgs\/([^/]+)\/keys$/, addKeyBody, (state, [id], body) => ({ key: state.addKey(id, body.state, body.key), state: body.state })),
  route('POST', /^\/_control\/keys\/expire$/, expireKeyBody, (state, _params, body) => state.setKeyState(body.key, 'expired')),
  route('PUT', /^\/_control\/faults$/, faultsBody, (state, _params, { orgId: scope, seed, ...rates }) => state.setFaults(rates, scope, seed)),
  route('POST', /^\/_control\/faults\/next$/, failNextBody, (state, _params, body) => state.failNext(body)),
  route('DELETE', /^\/_control\/faults$/, emptyBody, (state) => state.clearFaults()),
  route('PUT', /^\/_control\/rate-limit$/, rateLimitBody, (state, _params, body) => state.setRateLimit(body)),
  route('PUT', /^\/_control\/cursor-ttl$/, cursorTtlBody, (state, _params, body) => state.setCursorTtl(body.ttlMs)),
  route('GET', /^\/_control\/requests$/, emptyBody, (state) => state.requestCounts()),
  route('DELETE', /^\/_control\/requests$/, emptyBody, (state) => state.resetRequestCounts()),
];

export function isControlPath(pathname: string): boolean {
  return pathname === '/_control' || pathname.startsWith('/_control/');
}

export function handleControl(
  state: SimulatorState,
  controlToken: string,
  request: { method: string; pathname: string; authorization: string | undefined; body: string },
): ControlResponse {
  if (!hasToken(request.authorization, controlToken)) {
    return { status: 401, body: { error: 'missing or wrong control token (Authorization: Bearer <controlToken>)' } };
  }
  const matching = ROUTES.filter((r) => r.pattern.test(request.pathname));
  if (matching.length === 0) return { status: 404, body: { error: `no control route ${request.pathname}` } };
  const chosen = matching.find((r) => r.method === request.method);
  if (!chosen) return { status: 405, body: { error: `use ${matching.map((r) => r.method).join(' or ')} for ${request.pathname}` } };

  let raw: unknown = {};
  if (request.body.trim() !== '') {
    try {
      raw = JSON.parse(request.body);
    } catch {
      return { status: 400, body: { error: 'body is not valid JSON' } };
    }
  }
  const parsed = chosen.schema.safeParse(raw);
  if (!parsed.success) return { status: 400, body: { error: describeIssue(parsed.error) } };

  const params = chosen.pattern.exec(request.pathname)!.slice(1).map(safeDecode);
  try {
    return { status: 200, body: { ok: true, ...(chosen.handle(state, params, parsed.data) ?? {}) } };
  } catch (err) {
    if (err instanceof SimulatorInputError) return { status: 400, body: { error: err.message } };
    throw err;
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  return `${path}: ${issue.message}`;
}

function hasToken(authorization: string | undefined, controlToken: string): boolean {
  const presented = Buffer.from(authorization ?? '');
  const expected = Buffer.from(`Bearer ${controlToken}`);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
