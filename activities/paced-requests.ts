import type { EventsPage, RateLimitInfo } from '../atlassian/client';
import { RateLimitedError } from '../atlassian/errors';
import { log } from '@temporalio/activity';
import { rateLimitWindow } from '../atlassian/retry-delay';
import type { ApiPacer, RateWindow } from '../store/api-pacing';
import { apiOutcomeOf, type SourceMetrics } from '../observability/product-metrics';

/**
 * A wait for a slot longer than this fails the page as rate-limited instead, so the workflow waits on a durable
 * retry (the page's local retries wait on a timer past 5 s): neither a local activity slot nor the workflow task
 * is held for it. A task held for long is one a lost worker or server leaves hanging until its timeout.
 */
const MAX_WAIT_IN_PAGE_MS = 4_000;

/**
 * One request to the API in the organization's shared pace: it waits for its slot, and its response (or its 429) sets
 * the pace of the requests that follow, on every worker. The wait, the request and its outcome are recorded.
 */
export async function pacedRequest(
  pacer: ApiPacer,
  budget: string,
  attempt: number,
  request: () => Promise<EventsPage>,
  metrics: SourceMetrics,
): Promise<EventsPage> {
  const { waitMs, taken, sequence } = await pacer.takeSlot(budget, MAX_WAIT_IN_PAGE_MS);
  if (!taken) {
    throw new RateLimitedError({ status: 429, code: null, message: `the organization's request budget is spent for ${Math.ceil(waitMs / 1000)} s`, retryAfterMs: waitMs });
  }
  if (waitMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    metrics.apiWait('pace', waitMs / 1000);
  }
  const startedAt = performance.now();
  let page: EventsPage;
  try {
    page = await request();
  } catch (err) {
    metrics.apiRequest(apiOutcomeOf(err), (performance.now() - startedAt) / 1000);
    if (err instanceof RateLimitedError) {
      const holdMs = err.delayMs(attempt);
      metrics.apiWait('rate_limited', holdMs / 1000);
      await pacer.rateLimited(budget, holdMs);
    }
    throw err;
  }
  metrics.apiRequest('2xx', (performance.now() - startedAt) / 1000);
  const window = page.rateLimit && windowOf(page.rateLimit);
  if (window) await pacer.observe(budget, window, sequence);
  return page;
}

/**
 * The window a response describes, or undefined when it says nothing usable. Headers that make no sense are left out
 * with one warning: a hostile value may neither fail the page nor hold the organization's pace.
 */
function windowOf(rateLimit: RateLimitInfo): RateWindow | undefined {
  const { window, ignored } = rateLimitWindow(rateLimit.remaining, rateLimit.reset, Date.now());
  if (ignored) log.warn(`ignored the rate-limit headers of a response: ${ignored}`);
  return window;
}
