import type { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import type { ActivityInterceptors } from '@temporalio/worker';
import { RATE_LIMITED } from '../contract/failure-types';

/**
 * One line for an attempt that ended in an expected failure (a 429, a 5xx, a dropped connection, a page handed
 * back). Such failures are BENIGN (atlassian/failures.ts), which the SDK logs at debug only, with a stack trace that
 * says nothing an operator can use; this line says what happened and when the page is tried again. Every other
 * failure keeps the SDK's own warning with its stack.
 */
export function expectedRetryLogging(context: Context): ActivityInterceptors {
  return {
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          if (err instanceof ApplicationFailure && err.category === ApplicationFailureCategory.BENIGN) logExpectedRetry(context, err);
          throw err;
        }
      },
    },
  };
}

function logExpectedRetry(context: Context, failure: ApplicationFailure): void {
  // Expected and not retried: a page that a stopping worker hands back.
  if (failure.nonRetryable) return context.log.info(failure.message, { failureType: failure.type });
  const { attempt, retryPolicy } = context.info;
  const lastAttempt = retryPolicy?.maximumAttempts !== undefined && retryPolicy.maximumAttempts > 0 && attempt >= retryPolicy.maximumAttempts;
  const retryInMs = msOptionalToNumber(failure.nextRetryDelay ?? undefined);
  // The client's errors put their small plain fields (status, Atlassian code, reason) in the first detail.
  const { status, code, reason } = (failure.details?.[0] ?? {}) as { status?: number | null; code?: string | null; reason?: string };
  const fields = { failureType: failure.type, status, code: code ?? undefined, reason, retryInMs };
  const outcome = lastAttempt ? 'no attempts left' : retryInMs !== undefined ? `retrying in ${Math.ceil(retryInMs / 1000)} s` : 'retrying';
  const message = `${failure.message}; ${outcome}`;
  if (!lastAttempt && failure.type === RATE_LIMITED) context.log.info(message, fields);
  else context.log.warn(message, fields);
}
