// ApplicationFailure type names raised by the Atlassian activities. Workflow code compares failure types against
// these (for example in a retry policy's nonRetryableErrorTypes or in a catch), so this module must stay free of
// imports to remain safe inside the deterministic workflow sandbox.

/** 401 or 403: the key is expired, revoked, lacks read:events:admin, or the org/admin cannot read audit events. */
export const AUTH_REJECTED = 'AtlassianAuthRejected';

/** 404: the organization ID is wrong or not visible to this key. */
export const ORG_NOT_FOUND = 'AtlassianOrgNotFound';

/** 400 ADMIN-400-1: the stored cursor is no longer accepted; restart from the newest processedAt minus an overlap. */
export const INVALID_CURSOR = 'AtlassianInvalidCursor';

/** Any other 400 (for example ADMIN-400-3, invalid time): the request itself is wrong and retrying cannot help. */
export const BAD_REQUEST = 'AtlassianBadRequest';

/** 429: retryable; the failure carries nextRetryDelay computed from the rate-limit headers. */
export const RATE_LIMITED = 'AtlassianRateLimited';

/** 5xx, network error, reset connection or timeout: retryable with the activity's retry policy. */
export const TRANSIENT = 'AtlassianTransient';

/** The response was not the documented shape (or was cut short): retryable, the page is never skipped. */
export const MALFORMED_RESPONSE = 'AtlassianMalformedResponse';

/** The response body passed the client's cap (ATLASSIAN_MAX_RESPONSE_BYTES): retryable, the rest was never read. */
export const RESPONSE_TOO_LARGE = 'AtlassianResponseTooLarge';

/**
 * The API answered the same page with a body that could not be read as a whole (not JSON, the envelope wrong, past
 * the size cap) attempt after attempt: the source stops as failed, and the operator is told, until it is resumed.
 */
export const CONTENT_STALLED = 'AtlassianContentStalled';

/** The source was removed while its workflow still ran: the workflow ends instead of retrying. */
export const SOURCE_REMOVED = 'SourceRemoved';

/** The worker began to shut down before the page started: the page is left for another worker, not failed. */
export const PAGE_HANDED_BACK = 'PageHandedBack';
