import { AtlassianClient } from '../atlassian/client';
import { AtlassianApiError, AuthRejectedError, OrgNotFoundError, RateLimitedError, TransientError } from '../atlassian/errors';
import { apiBaseUrlProblem } from '../config/api-base-urls';
import { OperatorError } from '../config/operator-error';

const VALIDATION_TIMEOUT_MS = 15_000;

/**
 * Proves with one live request that the key reads this organization's events, before anything is stored: a source
 * saved with a bad key would only fail later, in a workflow nobody watches. The client's messages never carry the key.
 */
export async function checkApiKey(baseUrl: string, organizationId: string, apiKey: string): Promise<void> {
  // Every command that sends a key comes through here: a base URL changed behind the CLI's back gets no key either.
  const refused = apiBaseUrlProblem(baseUrl);
  if (refused) throw new OperatorError(`${refused}: the key was not sent, nothing saved`);
  const client = new AtlassianClient({ apiKey, baseUrl, timeoutMs: VALIDATION_TIMEOUT_MS });
  try {
    await client.validateKey(organizationId);
  } catch (err) {
    if (!(err instanceof AtlassianApiError)) throw err;
    throw new OperatorError(`${explain(err, organizationId, baseUrl)}: nothing saved`);
  }
}

function explain(err: AtlassianApiError, organizationId: string, baseUrl: string): string {
  if (err instanceof AuthRejectedError) return `the Atlassian API rejected the key for organization ${organizationId} (${err.message})`;
  if (err instanceof OrgNotFoundError) return `organization ${organizationId} was not found at ${baseUrl} (${err.message}): check --org-id`;
  if (err instanceof RateLimitedError) {
    const wait = err.retryAfterMs !== null ? ` in ${Math.ceil(err.retryAfterMs / 1000)} s` : ' in a minute';
    return `the Atlassian API is rate limiting this key, so it could not be checked; try again${wait}`;
  }
  if (err instanceof TransientError) return `cannot check the key: the Atlassian API at ${baseUrl} did not answer (${err.message})`;
  return `cannot check the key against ${baseUrl}: ${err.message}`;
}
