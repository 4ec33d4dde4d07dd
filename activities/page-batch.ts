import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { PageSummary } from '../contract/source-workflow';

/**
 * A batch stops starting pages after this long, so that one local activity stays far inside its timeout even when
 * the organization's pace spaces pages out.
 */
const BATCH_BUDGET_MS = 10_000;

export interface IngestPageInput {
  sourceId: string;
  /** At most this many pages in this one activity; one when absent (as runs begun before PAGES_IN_BATCHES ask). */
  maxPages?: number;
}

/**
 * The ingestPage activity: one page, or a batch of pages each ingested and committed on its own. A page costs the
 * workflow a round trip to its thread and a marker in history; during a backfill that round trip is a large share of
 * a page, so the workflow asks for pages a batch at a time. The batch ends at the end of the stream, at `maxPages`,
 * after BATCH_BUDGET_MS, when the activity is cancelled, or when the worker begins to stop (the next call then hands
 * the page back).
 *
 * Only the batch's first page can fail it. A later page that fails ends the batch instead, which returns the pages
 * committed before it: the failing page is then the first of the next activity, with a retry budget of its own, as it
 * would have with one page per activity. Its error is met again there and retried as usual.
 */
export function inBatches(ingestOnePage: (input: { sourceId: string }) => Promise<PageSummary>, workerStopping?: AbortSignal) {
  return async function ingestPage({ sourceId, maxPages = 1 }: IngestPageInput): Promise<PageSummary> {
    const startedAt = Date.now();
    const { cancellationSignal } = Context.current();
    let batch = await ingestOnePage({ sourceId });
    let pages = 1;
    const goOn = () => batch.hasMore && pages < maxPages && Date.now() - startedAt < BATCH_BUDGET_MS && !cancellationSignal.aborted && !workerStopping?.aborted;
    while (goOn()) {
      let page: PageSummary;
      try {
        page = await ingestOnePage({ sourceId });
      } catch (err) {
        logPageEndingBatch(err);
        break;
      }
      batch = addPage(batch, page);
      pages++;
    }
    return pages > 1 ? { ...batch, pages } : batch;
  };
}

/**
 * The activity does not fail, so the SDK and the worker's retry logging say nothing of this attempt: one line here, as
 * they would write it, keeps every failed page in the log.
 */
function logPageEndingBatch(err: unknown): void {
  const message = `${err instanceof Error ? err.message : String(err)}; the batch ends before this page, which the next activity tries again`;
  if (!(err instanceof ApplicationFailure)) return log.warn(message);
  // The client's errors put their small plain fields (status, Atlassian code, reason) in the first detail.
  const { status, code, reason } = (err.details?.[0] ?? {}) as { status?: number | null; code?: string | null; reason?: string };
  log.warn(message, { failureType: err.type, status, code: code ?? undefined, reason });
}

/** The counts add up; the rest is the checkpoint's as of the later page. */
function addPage(batch: PageSummary, page: PageSummary): PageSummary {
  const quarantined = (batch.quarantined ?? 0) + (page.quarantined ?? 0);
  return { ...page, fetched: batch.fetched + page.fetched, inserted: batch.inserted + page.inserted, ...(quarantined > 0 ? { quarantined } : {}) };
}
