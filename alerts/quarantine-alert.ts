import { openAlert, resolveAlert, type Queryable } from './alert-store';

// A source whose events are held, or whose API hands back the same page again, is not healthy: one open alert of
// kind `quarantine` says so, per cause, however many events or pages it concerns.

/** The two causes, each its own open alert of the source. */
const HELD = 'held';
const CURSOR_REPEATED = 'cursor-repeated';

interface SourceRef {
  id: string;
  name: string;
}

/**
 * Opens the source's alert for held events, or brings its count up to date when it is open already. In the caller's
 * transaction; returns whether it opened one (the page then wakes the dispatcher).
 */
export async function reportHeldEvents(q: Queryable, source: SourceRef, held: number): Promise<boolean> {
  const title = heldTitle(source, held);
  const message =
    `Events PostgreSQL or the pipeline could not take as sent are held with their exact text and the reason. ` +
    `List them: atlassian-audit quarantine --source ${source.name}. Once a fix is deployed: atlassian-audit quarantine reingest --source ${source.name}.`;
  const { alertId, opened } = await openAlert(q, { sourceId: source.id, kind: 'quarantine', dedupKey: HELD, severity: 'high', title, message, details: { held } });
  if (!opened) await q.query('UPDATE alerts SET title = $2, details = $3 WHERE id = $1', [alertId, title, JSON.stringify({ held })]);
  return opened;
}

/** Resolves the source's alert for held events once none is held any more. */
export async function resolveHeldEventsAlert(q: Queryable, sourceId: string): Promise<boolean> {
  return (await resolveAlert(q, { sourceId, kind: 'quarantine', dedupKey: HELD, message: 'No event of the source is held in quarantine any more.' })) !== undefined;
}

/** A full page came back with the very cursor it was asked with: the source cannot move on by itself. */
export async function reportRepeatedCursor(q: Queryable, source: SourceRef): Promise<boolean> {
  const { opened } = await openAlert(q, {
    sourceId: source.id,
    kind: 'quarantine',
    dedupKey: CURSOR_REPEATED,
    severity: 'high',
    title: `the API hands ${source.name} the same page again: its cursor does not advance`,
    message:
      'A full page came back with the cursor it was asked with. The source stores that page once, then asks again only at its next poll ' +
      'instead of spending the organization\'s rate limit in a loop. It resolves itself when the cursor moves again.',
  });
  return opened;
}

export async function resolveRepeatedCursorAlert(q: Queryable, sourceId: string): Promise<boolean> {
  return (await resolveAlert(q, { sourceId, kind: 'quarantine', dedupKey: CURSOR_REPEATED, message: 'The cursor advances again.' })) !== undefined;
}

/**
 * After held events were re-ingested by hand: resolves the source's alert when none is held any more, else brings the
 * open alert's count down. Never opens one: an operator who resolved it has seen it. Says whether it resolved it.
 */
export async function refreshHeldEventsAlert(q: Queryable, source: SourceRef, held: number): Promise<boolean> {
  if (held === 0) return resolveHeldEventsAlert(q, source.id);
  await q.query(
    `UPDATE alerts SET title = $3, details = $4 WHERE source_id = $1 AND kind = 'quarantine' AND dedup_key = $2 AND status = 'open'`,
    [source.id, HELD, heldTitle(source, held), JSON.stringify({ held })],
  );
  return false;
}

function heldTitle(source: SourceRef, held: number): string {
  return `${held} event${held === 1 ? '' : 's'} of ${source.name} held in quarantine`;
}
