import { Context } from '@temporalio/activity';
import type { PageSummary } from '../contract/source-workflow';

/**
 * A batch stops starting pages after this long, so that one local activity stays far inside its timeout even when
 * the organization's pace spaces pages out.
 */
const BATCH_BUDGET_MS = 10_000;

/**
 * Several pages (at least one) in one local activity, each ingested and committed on its own exactly as ingestPage
 * does. A page costs the workflow a round trip to its thread and a marker in history; during a backfill that round
 * trip is a large share of a page, so the workflow asks for pages a batch at a time. The batch ends at the end of the
 * stream, at `maxPages`, after BATCH_BUDGET_MS, when the activity is cancelled, or when the worker begins to stop (the
 * next call then hands the page back). A failing page fails the batch as it would fail a single page: the pages before
 * it are committed, and the retry begins after them.
 */
export function createIngestPages(ingestPage: (input: { sourceId: string }) => Promise<PageSummary>, workerStopping?: AbortSignal) {
  return async function ingestPages({ sourceId, maxPages }: { sourceId: string; maxPages: number }): Promise<PageSummary> {
    const startedAt = Date.now();
    const { cancellationSignal } = Context.current();
    let batch = { ...(await ingestPage({ sourceId })), pages: 1 };
    const goOn = () => batch.hasMore && batch.pages < maxPages && Date.now() - startedAt < BATCH_BUDGET_MS && !cancellationSignal.aborted && !workerStopping?.aborted;
    while (goOn()) batch = addPage(batch, await ingestPage({ sourceId }));
    return batch;
  };
}

/** The counts add up; the rest is the checkpoint's as of the later page. */
function addPage(batch: PageSummary & { pages: number }, page: PageSummary): PageSummary & { pages: number } {
  const quarantined = (batch.quarantined ?? 0) + (page.quarantined ?? 0);
  return {
    ...page,
    fetched: batch.fetched + page.fetched,
    inserted: batch.inserted + page.inserted,
    pages: batch.pages + 1,
    ...(quarantined > 0 ? { quarantined } : {}),
  };
}
