import { randomUUID } from 'node:crypto';
import { ACTIONS } from './actions';
import type { CursorState } from './cursor';
import type { SimulatedOrg } from './org';
import type { Endpoint, SimulatorState } from './state';

// The organization events API as the simulator plays it. Handlers are synchronous and return the whole response;
// the server adds transport-level faults around them.

export const DEFAULT_PAGE_LIMIT = 200;
export const MAX_PAGE_LIMIT = 500;

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ApiRoute {
  endpoint: Endpoint;
  orgId: string | null;
  eventId: string | null;
}

export interface ApiRequest extends ApiRoute {
  /** Path and query as received, for `links.self`. */
  pathAndQuery: string;
  pathname: string;
  query: URLSearchParams;
  key: string | null;
}

/** Page-level faults the handlers themselves must play. */
export interface PageFaults {
  repeatEvent: boolean;
  malformedEvent: boolean;
  repeatCursor: boolean;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const ORG_PATH = /^\/admin\/v1\/orgs\/([^/]+)\/(events-stream|events|event-actions)(?:\/([^/]+))?\/?$/;

export function routeOf(pathname: string): ApiRoute {
  if (pathname === '/admin/v1/orgs' || pathname === '/admin/v1/orgs/') return { endpoint: 'orgs', orgId: null, eventId: null };
  const match = ORG_PATH.exec(pathname);
  if (!match) return { endpoint: 'unknown', orgId: null, eventId: null };
  const [, rawOrgId, resource, rawEventId] = match;
  const orgId = safeDecode(rawOrgId);
  if (rawEventId !== undefined) {
    return resource === 'events' ? { endpoint: 'event', orgId, eventId: safeDecode(rawEventId) } : { endpoint: 'unknown', orgId, eventId: null };
  }
  return { endpoint: resource as Endpoint, orgId, eventId: null };
}

export function json(status: number, body: unknown): ApiResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

export function apiError(status: number, code: string, title: string, detail?: string): ApiResponse {
  return json(status, { errors: [{ id: randomUUID(), status: String(status), code, title, ...(detail ? { detail } : {}) }] });
}

/** Codes other than the documented ADMIN-400-1, -400-3, -403-3, -404-2 and -429-1 are the simulator's own. */
const invalidCursor = (detail: string) => apiError(400, 'ADMIN-400-1', 'Invalid cursor', detail);
const invalidTime = (detail: string) => apiError(400, 'ADMIN-400-3', 'Invalid time', detail);
const invalidParameter = (detail: string) => apiError(400, 'ADMIN-400-2', 'Invalid parameter', detail);

export function handleApi(state: SimulatorState, request: ApiRequest, faults: PageFaults): ApiResponse {
  if (request.endpoint === 'unknown') return apiError(404, 'ADMIN-404-1', 'Not found', 'No such resource');
  const auth = authorize(state, request);
  if ('status' in auth) return auth;
  if (request.endpoint === 'orgs') return listOrgs(state, auth.org);

  const { org } = auth;
  org.catchUp(state.now());
  switch (request.endpoint) {
    case 'events-stream': {
      const verbatim = org.verbatimPages.shift();
      return verbatim === undefined ? eventsStream(state, org, request, faults) : { status: 200, headers: JSON_HEADERS, body: verbatim };
    }
    case 'events':
      return searchEvents(state, org, request, faults);
    case 'event':
      return oneEvent(org, request.eventId!);
    case 'event-actions':
      return { status: 200, headers: JSON_HEADERS, body: EVENT_ACTIONS_BODY };
  }
}

function authorize(state: SimulatorState, request: ApiRequest): ApiResponse | { org: SimulatedOrg } {
  const unauthorized = (detail: string) => apiError(401, 'ADMIN-401-1', 'Unauthorized', detail);
  if (request.key === null) return unauthorized('Missing bearer token');
  const record = state.keyRecord(request.key);
  if (!record) return unauthorized('The API key is not valid');
  if (record.state === 'expired') return unauthorized('The API key has expired or was revoked');
  if (record.state === 'missing-scope') return json(401, { code: 401, message: 'Unauthorized; scope does not match' });

  const keyOrg = state.org(record.orgId)!;
  if (request.orgId === null) return { org: keyOrg };
  // A key sees only its own organization; any other id looks like one that does not exist.
  if (request.orgId !== keyOrg.id) return apiError(404, 'ADMIN-404-2', 'Organization not found', 'No organization with this id is visible to this key');
  if (!keyOrg.hasGuard) {
    return apiError(403, 'ADMIN-403-3', 'Forbidden', 'Audit events require Atlassian Guard or Cloud Enterprise and an organization admin');
  }
  return { org: keyOrg };
}

function listOrgs(state: SimulatorState, org: SimulatedOrg): ApiResponse {
  return json(200, {
    data: [{ id: org.id, type: 'orgs', attributes: { name: org.name } }],
    meta: { next: null, page_size: 1 },
    links: { self: `${state.selfBaseUrl}/admin/v1/orgs` },
  });
}

interface PageQuery {
  limit: number;
  cursor: CursorState | null;
  descending: boolean;
  fromMs: number | null;
  toMs: number | null;
}

function readPageQuery(state: SimulatorState, org: SimulatedOrg, query: URLSearchParams, defaultDescending: boolean): PageQuery | ApiResponse {
  const rawLimit = query.get('limit');
  const requested = rawLimit === null ? DEFAULT_PAGE_LIMIT : /^\d+$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
  if (!(requested >= 1 && requested <= MAX_PAGE_LIMIT)) return invalidParameter(`limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  const limit = Math.min(requested, state.maxPageSize);

  const rawCursor = query.get('cursor');
  if (rawCursor !== null) {
    const cursor = state.cursors.decode(rawCursor);
    if (!cursor || cursor.orgId !== org.id) return invalidCursor('The cursor is not valid');
    if (state.cursorTtlMs !== null && state.now() - cursor.issuedAtMs > state.cursorTtlMs) return invalidCursor('The cursor has expired');
    return { limit, cursor, descending: cursor.descending, fromMs: cursor.fromMs, toMs: cursor.toMs };
  }

  const sortOrder = query.get('sortOrder');
  if (sortOrder !== null && sortOrder !== 'asc' && sortOrder !== 'desc') return invalidParameter('sortOrder must be asc or desc');
  const fromMs = readEpochMs(query.get('from'));
  const toMs = readEpochMs(query.get('to'));
  if (fromMs === undefined || toMs === undefined) return invalidTime('from and to must be epoch milliseconds');
  if (fromMs !== null && toMs !== null && fromMs > toMs) return invalidTime('from must not be after to');
  const descending = sortOrder === null ? defaultDescending : sortOrder === 'desc';
  return { limit, cursor: null, descending, fromMs, toMs };
}

/** null when absent, undefined when unreadable. */
function readEpochMs(value: string | null): number | null | undefined {
  if (value === null) return null;
  return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** The positions [lo, hi) of the log that the query's from/to (inclusive, on processedAt) admit. */
function bounds(org: SimulatedOrg, page: PageQuery): { lo: number; hi: number } {
  return {
    lo: page.fromMs === null ? 0 : org.log.firstAtOrAfter(page.fromMs),
    hi: page.toMs === null ? org.log.length : org.log.firstAfter(page.toMs),
  };
}

function eventsStream(state: SimulatorState, org: SimulatedOrg, request: ApiRequest, faults: PageFaults): ApiResponse {
  const page = readPageQuery(state, org, request.query, false);
  if ('status' in page) return page;
  const { lo, hi } = bounds(org, page);
  const step = page.descending ? -1 : 1;
  let start = page.cursor ? page.cursor.position : page.descending ? hi - 1 : lo;
  start = page.descending ? Math.min(start, hi - 1) : Math.max(start, lo);
  const inRange = (position: number) => position >= lo && position < hi;

  // The duplicate fault re-serves the previous page's last event, but only on a continued page with new events.
  if (faults.repeatEvent && page.cursor && page.limit > 1 && inRange(start) && inRange(start - step)) start -= step;

  const parts: string[] = [];
  let position = start;
  while (parts.length < page.limit && inRange(position)) {
    parts.push(org.log.json(position));
    position += step;
  }
  const remaining = page.descending ? position - lo + 1 : hi - position;
  const nextCursor = state.cursors.encode({
    orgId: org.id,
    position,
    descending: page.descending,
    fromMs: page.fromMs,
    toMs: page.toMs,
    issuedAtMs: state.now(),
  });

  // A looping API: the continued page points back at itself.
  let metaNext: string | null = faults.repeatCursor && page.cursor ? request.query.get('cursor') : nextCursor;
  let linksNext = true;
  if (parts.length === 0) {
    if (org.endOfStream === 'empty-then-null') [metaNext, linksNext] = [null, false];
    if (org.endOfStream === 'links-absent') linksNext = false;
  } else if (org.endOfStream === 'links-absent' && remaining <= 0) {
    linksNext = false;
  }

  if (faults.malformedEvent) breakFirstEvent(parts);
  const links: Record<string, string> = { self: `${state.selfBaseUrl}${request.pathAndQuery}` };
  if (linksNext && metaNext !== null) {
    links.next = `${state.selfBaseUrl}${request.pathname}?${new URLSearchParams({ cursor: metaNext, limit: String(page.limit) })}`;
  }
  return pageResponse(parts, { next: metaNext, page_size: page.limit }, links);
}

function searchEvents(state: SimulatorState, org: SimulatedOrg, request: ApiRequest, faults: PageFaults): ApiResponse {
  const page = readPageQuery(state, org, request.query, true);
  if ('status' in page) return page;
  const matches = searchFilter(request.query);
  const { lo, hi } = bounds(org, page);
  const step = page.descending ? -1 : 1;
  let position = page.cursor ? page.cursor.position : page.descending ? hi - 1 : lo;
  const parts: string[] = [];
  for (; position >= lo && position < hi && parts.length < page.limit; position += step) {
    if (matches(org, position)) parts.push(withoutProcessedAt(org.log.json(position)));
  }
  const exhausted = position < lo || position >= hi;
  const next = exhausted
    ? null
    : state.cursors.encode({ orgId: org.id, position, descending: page.descending, fromMs: page.fromMs, toMs: page.toMs, issuedAtMs: state.now() });
  if (faults.malformedEvent) breakFirstEvent(parts);
  const links: Record<string, string> = { self: `${state.selfBaseUrl}${request.pathAndQuery}` };
  if (next !== null) {
    const query = new URLSearchParams(request.query);
    query.set('cursor', next);
    links.next = `${state.selfBaseUrl}${request.pathname}?${query}`;
  }
  return pageResponse(parts, { next, page_size: page.limit }, links);
}

/** Basic filters of the search API: action, actor, ip and product (each repeatable), and a free-text `q`. */
function searchFilter(query: URLSearchParams): (org: SimulatedOrg, position: number) => boolean {
  const values = (name: string) => new Set([...query.getAll(name), ...query.getAll(`${name}[]`)].flatMap((v) => v.split(',')).filter(Boolean));
  const actions = values('action');
  const actors = values('actor');
  const ips = values('ip');
  const products = values('product');
  const text = query.get('q')?.toLowerCase() || null;
  return (org, position) => {
    const facts = org.log.facts(position);
    if (actions.size > 0 && !actions.has(facts.action)) return false;
    if (actors.size > 0 && !actors.has(facts.actorId)) return false;
    if (ips.size > 0 && (facts.ip === null || !ips.has(facts.ip))) return false;
    if (products.size > 0 && !products.has(facts.product)) return false;
    return text === null || org.log.json(position).toLowerCase().includes(text);
  };
}

function oneEvent(org: SimulatedOrg, eventId: string): ApiResponse {
  const position = org.log.positionOf(eventId);
  if (position === undefined) return apiError(404, 'ADMIN-404-1', 'Event not found', 'No event with this id');
  return { status: 200, headers: JSON_HEADERS, body: `{"data":${withoutProcessedAt(org.log.json(position))}}` };
}

/** `processedAt` belongs to the events stream only; search and single-event reads omit it. */
function withoutProcessedAt(eventJson: string): string {
  const event = JSON.parse(eventJson);
  delete event.attributes.processedAt;
  return JSON.stringify(event);
}

function breakFirstEvent(parts: string[]): void {
  if (parts.length === 0) {
    parts.push('{"id":"broken","type":"events","attributes":{}}');
    return;
  }
  const event = JSON.parse(parts[0]);
  delete event.attributes.action;
  parts[0] = JSON.stringify(event);
}

function pageResponse(parts: string[], meta: { next: string | null; page_size: number }, links: Record<string, string>): ApiResponse {
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: `{"data":[${parts.join(',')}],"meta":${JSON.stringify(meta)},"links":${JSON.stringify(links)}}`,
  };
}

export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const EVENT_ACTIONS_BODY = JSON.stringify({
  data: ACTIONS.map((action) => ({
    id: action.key,
    type: 'event-actions',
    attributes: { displayName: action.displayName, groupDisplayName: action.group },
  })),
});
