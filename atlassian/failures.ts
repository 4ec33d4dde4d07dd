import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import {
  AUTH_REJECTED,
  BAD_REQUEST,
  CONTENT_STALLED,
  INVALID_CURSOR,
  MALFORMED_RESPONSE,
  ORG_NOT_FOUND,
  RATE_LIMITED,
  RESPONSE_TOO_LARGE,
  TRANSIENT,
} from '../contract/failure-types';
import {
  AtlassianApiError,
  AuthRejectedError,
  BadRequestError,
  InvalidCursorError,
  MalformedResponseError,
  OrgNotFoundError,
  RateLimitedError,
  ResponseTooLargeError,
} from './errors';

/**
 * Turns a client error into the ApplicationFailure an activity throws. Permanent problems (credentials, wrong org,
 * a request the API refuses) are non-retryable so the workflow can react instead of retrying forever. A malformed
 * response stays retryable: skipping the page would lose events, so the only safe course is to ask again later.
 * Details are the error's small plain fields; the error itself is not attached as `cause`.
 * Throttling and transient trouble are routine and retried, so they are BENIGN: the SDK then logs them at debug,
 * without its stack-trace warning, and the worker logs one line per attempt instead (workers/expected-retries.ts).
 * Anything that is not a client error (for example activity cancellation) is returned unchanged.
 */
export function toApplicationFailure(err: AtlassianApiError, attempt: number): ApplicationFailure;
export function toApplicationFailure(err: unknown, attempt: number): unknown;
export function toApplicationFailure(err: unknown, attempt: number): unknown {
  if (!(err instanceof AtlassianApiError)) return err;
  const details = [err.toJSON()];
  const permanent = (type: string) =>
    ApplicationFailure.create({ message: err.message, type, nonRetryable: true, details });

  if (err instanceof AuthRejectedError) return permanent(AUTH_REJECTED);
  if (err instanceof OrgNotFoundError) return permanent(ORG_NOT_FOUND);
  if (err instanceof InvalidCursorError) return permanent(INVALID_CURSOR);
  if (err instanceof BadRequestError) return permanent(BAD_REQUEST);
  if (err instanceof RateLimitedError) {
    const nextRetryDelay = err.delayMs(attempt);
    return ApplicationFailure.create({
      message: err.message,
      type: RATE_LIMITED,
      nonRetryable: false,
      details: [{ ...err.toJSON(), nextRetryDelayMs: nextRetryDelay }],
      nextRetryDelay,
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  // Retried, and said in one line: a stack trace would only show where the reading stopped.
  if (err instanceof ResponseTooLargeError) {
    return ApplicationFailure.create({ message: err.message, type: RESPONSE_TOO_LARGE, nonRetryable: false, details, category: ApplicationFailureCategory.BENIGN });
  }
  // A malformed page is retried too, but it is not routine: it keeps the SDK's warning with a stack.
  if (err instanceof MalformedResponseError) return ApplicationFailure.create({ message: err.message, type: MALFORMED_RESPONSE, nonRetryable: false, details });
  // TransientError lands here, and so would a future subclass nobody mapped: retrying is the harmless default.
  return ApplicationFailure.create({ message: err.message, type: TRANSIENT, nonRetryable: false, details, category: ApplicationFailureCategory.BENIGN });
}

/**
 * A whole answer that could not be read: retried as transient trouble (a truncated body is routine), but counted,
 * since the same answer for the same page attempt after attempt is permanent for content reasons.
 */
export function isContentFailure(err: unknown): err is MalformedResponseError | ResponseTooLargeError {
  return err instanceof MalformedResponseError || err instanceof ResponseTooLargeError;
}

/** Every this many content failures in a row for one page, the source stops (and a resume grants as many again). */
export const CONTENT_FAILURES_BEFORE_STALL = 10;

/** The non-retryable failure that stops a source whose page has failed for content reasons too many times in a row. */
export function contentStalled(err: MalformedResponseError | ResponseTooLargeError, failuresInARow: number): ApplicationFailure {
  return ApplicationFailure.create({
    message: `the API answered the same page ${failuresInARow} times in a row with a body that cannot be read; the last: ${err.message}`,
    type: CONTENT_STALLED,
    nonRetryable: true,
    details: [{ ...err.toJSON(), failuresInARow }],
  });
}
