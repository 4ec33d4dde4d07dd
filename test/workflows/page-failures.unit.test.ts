import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { AUTH_REJECTED, CONTENT_STALLED, PAGE_HANDED_BACK, SOURCE_REMOVED } from '../../contract/failure-types';
import { classifyPageFailure } from '../../workflows/source-pages';

const failed = (type: string, message = 'it failed') => ApplicationFailure.create({ type, message, nonRetryable: true });
const wrapped = (cause: Error) => new ActivityFailure('activity failed', 'ingestPage', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, cause);

describe("a failed page's meaning for the source", () => {
  it('stops the source on a failure that retrying cannot fix, with its message and type', () => {
    expect(classifyPageFailure(failed(AUTH_REJECTED, 'the key was rejected'))).toEqual({ kind: 'rejected', message: 'the key was rejected', failureType: AUTH_REJECTED });
    expect(classifyPageFailure(failed(CONTENT_STALLED)).kind).toBe('rejected');
  });

  it('reads the cause of a failure wrapped as an activity failure', () => {
    expect(classifyPageFailure(wrapped(failed(AUTH_REJECTED, 'rejected')))).toEqual({ kind: 'rejected', message: 'rejected', failureType: AUTH_REJECTED });
    expect(classifyPageFailure(wrapped(failed(SOURCE_REMOVED)))).toEqual({ kind: 'removed' });
  });

  it('ends the source when it was removed, and counts no error when the worker handed the page back', () => {
    expect(classifyPageFailure(failed(SOURCE_REMOVED))).toEqual({ kind: 'removed' });
    expect(classifyPageFailure(failed(PAGE_HANDED_BACK))).toEqual({ kind: 'handed-back' });
  });

  it('counts anything else as an error to retry at the next poll', () => {
    expect(classifyPageFailure(failed('RateLimited', 'slow down'))).toEqual({ kind: 'error', message: 'slow down' });
    expect(classifyPageFailure(new Error('socket hang up'))).toEqual({ kind: 'error', message: 'socket hang up' });
    expect(classifyPageFailure('a string')).toEqual({ kind: 'error', message: 'a string' });
  });
});
