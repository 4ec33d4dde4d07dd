import { backoffWithJitterMs } from './retry-delay';

// Errors carry only small, key-free facts (status, Atlassian error code, a short reason). They never hold the
// request, its headers, the response body or a `cause`, so nothing secret can leak through logging or
// serialization of an error, and they travel cheaply into Temporal failures.

export interface AtlassianApiErrorFields {
  /** HTTP status, or null when no response arrived (network error, timeout). */
  status: number | null;
  /** Atlassian's error code such as `ADMIN-400-1`, when the body carried one. */
  code: string | null;
  message: string;
}

export abstract class AtlassianApiError extends Error {
  readonly status: number | null;
  readonly code: string | null;

  protected constructor(fields: AtlassianApiErrorFields) {
    super(fields.message);
    this.status = fields.status;
    this.code = fields.code;
  }

  /** Plain data for logs and failure details. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, status: this.status, code: this.code, message: this.message };
  }
}

export const LIKELY_CAUSE = {
  expiredOrRevoked:
    'The API key is invalid, expired or revoked (keys expire after one week by default): create a new organization API key.',
  missingScope:
    'The API key lacks the read:events:admin scope, or it is not an organization API key (personal API tokens and OAuth tokens are refused).',
  notAdminOrNoGuard:
    'The key cannot read audit events: its creator is not an organization admin, or the organization lacks Atlassian Guard or Cloud Enterprise.',
} as const;

/** 401 or 403: polling cannot succeed until someone supplies a working key or fixes the subscription. */
export class AuthRejectedError extends AtlassianApiError {
  override readonly name = 'AuthRejectedError';
  readonly likelyCause: string;

  constructor(fields: AtlassianApiErrorFields & { likelyCause: string }) {
    super({ ...fields, message: `${fields.message}. Likely cause: ${fields.likelyCause}` });
    this.likelyCause = fields.likelyCause;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), likelyCause: this.likelyCause };
  }
}

export class OrgNotFoundError extends AtlassianApiError {
  override readonly name = 'OrgNotFoundError';
  constructor(fields: AtlassianApiErrorFields) {
    super(fields);
  }
}

export class InvalidCursorError extends AtlassianApiError {
  override readonly name = 'InvalidCursorError';
  constructor(fields: AtlassianApiErrorFields) {
    super(fields);
  }
}

export class BadRequestError extends AtlassianApiError {
  override readonly name = 'BadRequestError';
  constructor(fields: AtlassianApiErrorFields) {
    super(fields);
  }
}

export class RateLimitedError extends AtlassianApiError {
  override readonly name = 'RateLimitedError';
  /** The wait the server asked for (Retry-After, else X-RateLimit-Reset), or null when it gave no hint. */
  readonly retryAfterMs: number | null;

  constructor(fields: AtlassianApiErrorFields & { retryAfterMs: number | null }) {
    super(fields);
    this.retryAfterMs = fields.retryAfterMs;
  }

  /**
   * How long to wait before the next attempt: the server's hint when it gave one, else exponential backoff with
   * jitter. Only the caller (the activity) knows its attempt number, hence a method rather than a field.
   */
  delayMs(attempt: number): number {
    return this.retryAfterMs ?? backoffWithJitterMs(attempt);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

export type TransientReason = 'server-error' | 'network' | 'timeout';

export class TransientError extends AtlassianApiError {
  override readonly name = 'TransientError';
  readonly reason: TransientReason;

  constructor(fields: AtlassianApiErrorFields & { reason: TransientReason }) {
    super(fields);
    this.reason = fields.reason;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}

export class MalformedResponseError extends AtlassianApiError {
  override readonly name = 'MalformedResponseError';
  /** Where the body stopped matching the documented shape, e.g. `data[3].attributes.time`; `$` for the whole body. */
  readonly path: string;

  constructor(fields: AtlassianApiErrorFields & { path: string }) {
    super(fields);
    this.path = fields.path;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), path: this.path };
  }
}

/** A body past the client's cap (maxResponseBytes): its reading stopped there, and the page is asked for again. */
export class ResponseTooLargeError extends AtlassianApiError {
  override readonly name = 'ResponseTooLargeError';
  readonly maxBytes: number;

  constructor(fields: AtlassianApiErrorFields & { maxBytes: number }) {
    super(fields);
    this.maxBytes = fields.maxBytes;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), maxBytes: this.maxBytes };
  }
}
