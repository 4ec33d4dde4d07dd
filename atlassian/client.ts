import type { z } from 'zod';
import { environmentPolicy, guardedDispatcher, outboundRefusalIn, type OutboundPolicy } from '../config/outbound-guard';
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
} from './errors';
import { BodyTooLargeError, readBodyCapped, readBodyPrefix } from '../config/bounded-body';
import { rateLimitDelayFromHeaders } from './retry-delay';
import { jsonText } from './json-text';
import { storableText } from './storable-text';
import {
  apiErrorBodySchema,
  auditEventSchema,
  eventsPageSchema,
  gatewayErrorBodySchema,
  orgsPageSchema,
  type AuditEvent,
  type EventsPageBody,
  type Org,
} from './schema';

export interface AtlassianClientOptions {
  apiKey: string;
  baseUrl?: string;
  /** Budget for one request, body included. */
  timeoutMs?: number;
  /** A successful body larger than this is not read on (ResponseTooLargeError). Default 32 MiB. */
  maxResponseBytes?: number;
  fetchImpl?: typeof fetch;
  /** Which non-public addresses requests may reach; by default what OUTBOUND_ALLOWED_NETWORKS allows. */
  outbound?: OutboundPolicy;
}

export interface EventsPageQuery {
  cursor?: string;
  /** Epoch milliseconds. */
  from?: number;
  limit?: number;
}

/** The rate-limit headers as sent: untrusted text, read by rateLimitWindow (retry-delay.ts). */
export interface RateLimitInfo {
  limit: string | null;
  remaining: string | null;
  /** Often a minute-precision ISO time; epoch seconds or a delta from some proxies. */
  reset: string | null;
}

/** An event of a page that does not have the documented shape: kept for the quarantine, never dropped. */
export interface RejectedEvent {
  /** The event's id when it carried a usable one. */
  eventId: string | null;
  /** Why it was not taken, e.g. `attributes.time: unparsable time`. */
  reason: string;
  /** The event as the API sent it, as JSON text. */
  raw: string;
}

export interface EventsPage {
  events: AuditEvent[];
  /** Events of the page that could not be read as events; absent when there were none. */
  rejected?: RejectedEvent[];
  /** True when the page handed back the very cursor it was asked with: asking again would loop on the same page. */
  cursorRepeated?: boolean;
  /** The cursor for the next request, or null when this page carried none: keep the last non-null one. */
  nextCursor: string | null;
  /** True only when asking again right now is expected to return more events. */
  hasMore: boolean;
  rateLimit?: RateLimitInfo;
}

export const DEFAULT_BASE_URL = 'https://api.atlassian.com';
const DEFAULT_TIMEOUT_MS = 30_000;
/** A page of 500 events is about 1 MiB; 32 times that is no page, but a broken or hostile server. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** An error's body is read only for its code and title. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const INVALID_CURSOR_CODE = 'ADMIN-400-1';
/** Bounds the /orgs paging loop against a server that keeps returning a cursor. */
const MAX_ORG_PAGES = 100;
const MAX_SERVER_TEXT = 200;

interface JsonResponse {
  body: unknown;
  headers: Headers;
  status: number;
}

export class AtlassianClient {
  readonly #apiKey: string;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #fetch: typeof fetch;
  readonly #dispatcher: ReturnType<typeof guardedDispatcher>;

  constructor(options: AtlassianClientOptions) {
    // A key with control characters would make fetch throw an error that quotes the header value.
    if (typeof options.apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(options.apiKey)) {
      throw new TypeError('apiKey must be a non-empty string of printable ASCII characters');
    }
    this.#apiKey = options.apiKey;
    this.#baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#fetch = options.fetchImpl ?? globalThis.fetch;
    this.#dispatcher = guardedDispatcher(options.outbound ?? environmentPolicy());
  }

  async fetchEventsPage(orgId: string, query: EventsPageQuery = {}, signal?: AbortSignal): Promise<EventsPage> {
    const params = new URLSearchParams();
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.from !== undefined) params.set('from', epochMillisParam('from', query.from));
    if (query.limit !== undefined) params.set('limit', String(query.limit));

    const response = await this.#get(`${orgPath(orgId)}/events-stream`, params, 'events-stream', signal);
    const page = parseBody(eventsPageSchema, response, 'events-stream');
    const rateLimit = readRateLimit(response.headers);
    return { ...interpretPage(page, query.limit, query.cursor), ...(rateLimit ? { rateLimit } : {}) };
  }

  /** Organizations the key can see, following the pagination cursor. */
  async listOrgs(signal?: AbortSignal): Promise<Org[]> {
    const orgs: Org[] = [];
    let cursor: string | null = null;
    for (let pageNumber = 0; pageNumber < MAX_ORG_PAGES; pageNumber++) {
      const params = new URLSearchParams(cursor ? { cursor } : {});
      const response = await this.#get('/admin/v1/orgs', params, 'orgs', signal);
      const page = parseBody(orgsPageSchema, response, 'orgs');
      orgs.push(...page.data);
      const next: string | null = page.meta?.next || null;
      if (!next || next === cursor || page.data.length === 0) break;
      cursor = next;
    }
    return orgs;
  }

  /**
   * Proves that the key reads this organization's audit events (what polling needs), by a one-event read of the
   * events stream. Resolves with nothing; rejects with the typed error that explains what is wrong.
   */
  async validateKey(orgId: string, signal?: AbortSignal): Promise<void> {
    await this.fetchEventsPage(orgId, { limit: 1 }, signal);
  }

  async #get(
    path: string,
    params: URLSearchParams | undefined,
    endpoint: string,
    callerSignal: AbortSignal | undefined,
  ): Promise<JsonResponse> {
    callerSignal?.throwIfAborted();
    const query = params && params.size > 0 ? `?${params}` : '';
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;

    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}${query}`, {
        method: 'GET',
        headers: { Authorization: `Bearer ${this.#apiKey}`, Accept: 'application/json' },
        signal,
        // A redirect means a wrong base URL; following it could carry the key to another host.
        redirect: 'manual',
        // Connections go only where the outbound policy allows (config/outbound-guard.ts).
        dispatcher: this.#dispatcher,
      });
      const succeeded = response.status >= 200 && response.status < 300;
      text = succeeded ? await readBodyCapped(response, this.#maxResponseBytes) : await readBodyPrefix(response, MAX_ERROR_BODY_BYTES);
    } catch (err) {
      // Activity cancellation must surface as itself, not as a retryable failure.
      if (callerSignal?.aborted) throw callerSignal.reason;
      if (err instanceof BodyTooLargeError) {
        throw new ResponseTooLargeError({
          status: response!.status,
          code: null,
          maxBytes: err.maxBytes,
          message: `Atlassian ${endpoint} response is larger than ${err.maxBytes} bytes (ATLASSIAN_MAX_RESPONSE_BYTES); the rest was not read`,
        });
      }
      // A base URL aimed at this host or its network is a setting to fix, not a failure to retry.
      const refusal = outboundRefusalIn(err);
      if (refusal) throw new BadRequestError({ status: null, code: null, message: `Atlassian ${endpoint} request refused: ${refusal}` });
      if (timeout.aborted) {
        throw new TransientError({
          status: null,
          code: null,
          reason: 'timeout',
          message: `Atlassian ${endpoint} request timed out after ${this.#timeoutMs} ms`,
        });
      }
      throw new TransientError({
        status: null,
        code: null,
        reason: 'network',
        message: `Atlassian ${endpoint} request failed: ${this.#scrub(describeNetworkError(err))}`,
      });
    }

    if (response.status >= 200 && response.status < 300) {
      return { body: parseJson(text, endpoint, response.status), headers: response.headers, status: response.status };
    }
    throw this.#errorFor(endpoint, response, text);
  }

  #errorFor(endpoint: string, response: Response, text: string): AtlassianApiError {
    const { status } = response;
    const { code, summary, gateway } = readErrorBody(text);
    const said = summary ? `: ${this.#scrub(summary)}` : '';
    const message = `Atlassian ${endpoint} request returned ${status}${code ? ` ${code}` : ''}${said}`;

    if (status === 401) {
      const likelyCause = gateway && /scope/i.test(summary) ? LIKELY_CAUSE.missingScope : LIKELY_CAUSE.expiredOrRevoked;
      return new AuthRejectedError({ status, code, message, likelyCause });
    }
    if (status === 403) return new AuthRejectedError({ status, code, message, likelyCause: LIKELY_CAUSE.notAdminOrNoGuard });
    if (status === 404) return new OrgNotFoundError({ status, code, message });
    if (status === 429) {
      return new RateLimitedError({ status, code, message, retryAfterMs: rateLimitDelayFromHeaders(response.headers, Date.now()) });
    }
    if (status === 400 && code === INVALID_CURSOR_CODE) return new InvalidCursorError({ status, code, message });
    if (status >= 500 || status === 408) return new TransientError({ status, code, message, reason: 'server-error' });
    return new BadRequestError({ status, code, message });
  }

  /** Server text goes into messages only shortened, on one line, and without the key should a server echo it. */
  #scrub(text: string): string {
    const oneLine = text.split(this.#apiKey).join('[redacted]').replace(/\s+/g, ' ').trim();
    return oneLine.length > MAX_SERVER_TEXT ? `${oneLine.slice(0, MAX_SERVER_TEXT)}…` : oneLine;
  }
}

/**
 * Normalizes the three ways the events stream reports its end:
 *   1. a page with data and `meta.next`, then a page with `data: []` and `meta.next: null`;
 *   2. a page with `data: []` that still carries a cursor;
 *   3. `links.next` absent while `meta.next` is present.
 * Rule: `nextCursor` is `meta.next` whenever it is a non-empty string (in case 2 and 3 it is the cursor to poll with
 * later), else null, and the caller keeps its previous cursor. `hasMore` is true only when the page had events, came
 * with a cursor, did not drop `links.next` (case 3), and was full: a short page already drained the stream, so
 * asking again at once would only earn the empty page of case 1. A page counts as full when it holds as many events
 * as the smaller of the requested limit and the server's `meta.page_size`; when neither is known, any non-empty page
 * counts as full, which costs at most one extra empty request.
 * A page that would have more but hands back the very cursor it was asked with would be asked for again and again,
 * each time spending the organization's budget on the same events: it has no more, and says `cursorRepeated`.
 * The cursor is made storable (storable-text.ts): it is kept in PostgreSQL and sent back as the next request's, so a
 * NUL in it could not be stored, and a cursor that holds one would never look repeated.
 */
export function interpretPage(page: EventsPageBody, requestedLimit: number | undefined, requestedCursor?: string): Omit<EventsPage, 'rateLimit'> {
  const nextCursor = page.meta?.next ? storableText(page.meta.next) : null;
  const linksSayEnd = page.links != null && !page.links.next;
  const sizes = [requestedLimit, page.meta?.page_size].filter((n): n is number => typeof n === 'number' && n > 0);
  const full = page.data.length > 0 && page.data.length >= (sizes.length > 0 ? Math.min(...sizes) : 1);
  const hasMore = nextCursor !== null && !linksSayEnd && full;
  const cursorRepeated = hasMore && requestedCursor !== undefined && nextCursor === requestedCursor;
  const { events, rejected } = readEvents(page.data);
  return {
    events,
    ...(rejected.length > 0 ? { rejected } : {}),
    ...(cursorRepeated ? { cursorRepeated } : {}),
    nextCursor,
    hasMore: hasMore && !cursorRepeated,
  };
}

/** Each event of a page on its own: every one is either an event or a rejected one, none is dropped. */
function readEvents(data: readonly unknown[]): { events: AuditEvent[]; rejected: RejectedEvent[] } {
  const events: AuditEvent[] = [];
  const rejected: RejectedEvent[] = [];
  for (const item of data) {
    const result = auditEventSchema.safeParse(item);
    if (result.success) {
      events.push(result.data);
      continue;
    }
    const id = (item as { id?: unknown } | null)?.id;
    rejected.push({
      eventId: typeof id === 'string' && id !== '' ? id : null,
      reason: describeIssues(result.error.issues),
      // Any depth: a value too deep to be an event is one reason to be here.
      raw: jsonText(item),
    });
  }
  return { events, rejected };
}

function orgPath(orgId: string): string {
  return `/admin/v1/orgs/${encodeURIComponent(orgId)}`;
}

function epochMillisParam(name: string, value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative epoch in milliseconds`);
  return String(Math.trunc(value));
}

function parseJson(text: string, endpoint: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedResponseError({
      status,
      code: null,
      path: '$',
      message: `Atlassian ${endpoint} response is not valid JSON (${text.length} characters, possibly cut short)`,
    });
  }
}

function parseBody<S extends z.ZodType>(schema: S, { body, status }: JsonResponse, endpoint: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const path = formatPath(result.error.issues[0].path);
  throw new MalformedResponseError({
    status,
    code: null,
    path,
    message: `Atlassian ${endpoint} response does not match the documented shape at ${describeIssues(result.error.issues)}`,
  });
}

/** `attributes.time: unparsable time (and 2 more issues)`: the first issue's path and message, on one short line. */
function describeIssues([first, ...rest]: readonly z.core.$ZodIssue[]): string {
  const more = rest.length > 0 ? ` (and ${rest.length} more issue${rest.length > 1 ? 's' : ''})` : '';
  return `${formatPath(first.path)}: ${first.message.slice(0, MAX_SERVER_TEXT)}${more}`;
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '$';
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function readErrorBody(text: string): { code: string | null; summary: string; gateway: boolean } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { code: null, summary: '', gateway: false };
  }
  const appError = apiErrorBodySchema.safeParse(body);
  if (appError.success) {
    const first = appError.data.errors[0];
    const summary = [first.title, first.detail].filter(Boolean).join(': ');
    return { code: first.code || null, summary, gateway: false };
  }
  const gatewayError = gatewayErrorBodySchema.safeParse(body);
  if (gatewayError.success) return { code: null, summary: gatewayError.data.message, gateway: true };
  return { code: null, summary: '', gateway: false };
}

function readRateLimit(headers: Headers): RateLimitInfo | undefined {
  const limit = headers.get('x-ratelimit-limit');
  const remaining = headers.get('x-ratelimit-remaining');
  const reset = headers.get('x-ratelimit-reset');
  if (limit === null && remaining === null && reset === null) return undefined;
  return { limit, remaining, reset };
}

/** Names the failure (ECONNRESET, "other side closed"...) without the request, which holds the key. */
function describeNetworkError(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  const detail = typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.message : 'unknown error';
  return code ? `${code} (${detail.slice(0, MAX_SERVER_TEXT)})` : detail.slice(0, MAX_SERVER_TEXT);
}
