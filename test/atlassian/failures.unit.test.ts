import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import {
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
import { toApplicationFailure } from '../../atlassian/failures';
import * as failureTypes from '../../contract/failure-types';

const fields = { status: 400, code: 'ADMIN-400-3', message: 'Atlassian events-stream request returned 400' };

describe('toApplicationFailure', () => {
  it.each([
    ['401', new AuthRejectedError({ ...fields, status: 401, code: null, likelyCause: LIKELY_CAUSE.expiredOrRevoked }), failureTypes.AUTH_REJECTED],
    ['403', new AuthRejectedError({ ...fields, status: 403, code: 'ADMIN-403-3', likelyCause: LIKELY_CAUSE.notAdminOrNoGuard }), failureTypes.AUTH_REJECTED],
    ['404', new OrgNotFoundError({ ...fields, status: 404, code: 'ADMIN-404-2' }), failureTypes.ORG_NOT_FOUND],
    ['400 cursor', new InvalidCursorError({ ...fields, code: 'ADMIN-400-1' }), failureTypes.INVALID_CURSOR],
    ['400 other', new BadRequestError(fields), failureTypes.BAD_REQUEST],
  ])('makes %s non-retryable with its type', (_label, error, type) => {
    const failure = toApplicationFailure(error, 1);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(error.message);
    // A source that stops needs the operator: the SDK's warning stays.
    expect(failure.category).toBeUndefined();
  });

  it('makes a 429 retryable after the server-given delay', () => {
    const failure = toApplicationFailure(new RateLimitedError({ ...fields, status: 429, code: 'ADMIN-429-1', retryAfterMs: 42_000 }), 3);
    expect(failure.type).toBe(failureTypes.RATE_LIMITED);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(42_000);
    expect(failure.category).toBe(ApplicationFailureCategory.BENIGN);
  });

  it('makes a 429 without a hint wait a backoff that grows with the attempt', () => {
    const error = new RateLimitedError({ ...fields, status: 429, code: 'ADMIN-429-1', retryAfterMs: null });
    const early = toApplicationFailure(error, 1).nextRetryDelay as number;
    const late = toApplicationFailure(error, 6).nextRetryDelay as number;
    expect(early).toBeGreaterThanOrEqual(500);
    expect(early).toBeLessThanOrEqual(1_000);
    expect(late).toBeGreaterThanOrEqual(16_000);
    expect(late).toBeLessThanOrEqual(32_000);
  });

  it.each([
    ['a 5xx', new TransientError({ ...fields, status: 503, code: null, reason: 'server-error' }), failureTypes.TRANSIENT, ApplicationFailureCategory.BENIGN],
    ['a timeout', new TransientError({ ...fields, status: null, code: null, reason: 'timeout' }), failureTypes.TRANSIENT, ApplicationFailureCategory.BENIGN],
    // Not routine: a changed API or a broken proxy, worth the SDK's warning with its stack.
    ['a malformed page', new MalformedResponseError({ ...fields, status: 200, code: null, path: 'data[0].id' }), failureTypes.MALFORMED_RESPONSE, undefined],
    ['a body past the cap', new ResponseTooLargeError({ ...fields, status: 200, code: null, maxBytes: 1024 }), failureTypes.RESPONSE_TOO_LARGE, ApplicationFailureCategory.BENIGN],
  ])('keeps %s retryable without forcing a delay', (_label, error, type, category) => {
    const failure = toApplicationFailure(error, 2);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBeUndefined();
    expect(failure.category).toBe(category);
  });

  it('carries only small plain details, never the error object itself', () => {
    const error = new AuthRejectedError({ status: 401, code: null, message: 'rejected', likelyCause: LIKELY_CAUSE.missingScope });
    const failure = toApplicationFailure(error, 1);
    expect(failure.cause).toBeUndefined();
    expect(failure.details).toEqual([
      { name: 'AuthRejectedError', status: 401, code: null, message: error.message, likelyCause: LIKELY_CAUSE.missingScope },
    ]);
    expect(JSON.stringify(failure.details).length).toBeLessThan(1_000);
  });

  it('returns anything that is not a client error unchanged (cancellation must stay cancellation)', () => {
    const other = new Error('cancelled');
    expect(toApplicationFailure(other, 1)).toBe(other);
    expect(toApplicationFailure('text', 1)).toBe('text');
  });
});

// That the contract imports nothing of ours is the import rules' job (test/layout/import-rules.test.ts).
describe('contract/failure-types', () => {
  it('exports one distinct string per Atlassian failure kind', () => {
    const { AUTH_REJECTED, ORG_NOT_FOUND, INVALID_CURSOR, BAD_REQUEST, RATE_LIMITED, TRANSIENT, MALFORMED_RESPONSE } = failureTypes;
    const values = [AUTH_REJECTED, ORG_NOT_FOUND, INVALID_CURSOR, BAD_REQUEST, RATE_LIMITED, TRANSIENT, MALFORMED_RESPONSE];
    expect(new Set(values).size).toBe(7);
    for (const value of values) expect(value).toMatch(/^Atlassian[A-Za-z]+$/);
    expect(new Set(Object.values(failureTypes)).size).toBe(Object.values(failureTypes).length);
  });
});
