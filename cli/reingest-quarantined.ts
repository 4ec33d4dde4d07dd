import { reconsiderHeldEvent, type QuarantineReason } from '../atlassian/storable';
import { parseRfc3339 } from '../atlassian/schema';
import { refreshHeldEventsAlert } from '../alerts/quarantine-alert';
import type { Database } from '../store/database';
import { createEventMonthsFor } from '../store/event-partitions';
import { insertEventsOneByOne } from '../store/events';
import { monthOf } from '../store/retention';
import { countHeld, lockHeldEvent, markReingested, updateHeldReason } from '../store/quarantine';
import { detectInReingested } from '../detections/reingested';

export type ReingestOutcome =
  | { id: number; outcome: 'stored'; source: string; eventId: string }
  | { id: number; outcome: 'held'; source: string; reason: QuarantineReason; detail: string }
  | { id: number; outcome: 'not-held' };

export interface Reingested {
  outcomes: ReingestOutcome[];
  /** The ids of the sources that gained events: their outputs have something new to forward. */
  sourcesWithNewEvents: string[];
  /**
   * Alerts opened (by the sources' detection packs, on the events stored now) or resolved (held events, none left):
   * their notices are due now.
   */
  alertsChanged: number;
}

/**
 * Runs the current code's rules again on each held event's text: what now stores is inserted (once: a stored id is
 * never overwritten) and marked re-ingested; what still fails stays held, with the reason the current code gives.
 * One transaction per event, so one event's trouble never undoes another's. An event stored now is evaluated by its
 * source's enabled detection packs in the same transaction, as a page's events are: a crafted event that was held
 * first must not slip past the rules by being re-ingested.
 */
export async function reingestQuarantined(db: Database, ids: readonly number[]): Promise<Reingested> {
  const outcomes: ReingestOutcome[] = [];
  const touched = new Map<string, string>();
  const sourcesWithNewEvents = new Set<string>();
  let alertsChanged = 0;
  for (const id of ids) {
    outcomes.push(
      await db.withTransaction(async (tx): Promise<ReingestOutcome> => {
        const held = await lockHeldEvent(tx, id);
        if (!held) return { id, outcome: 'not-held' };
        touched.set(held.sourceId, held.sourceName);
        const hold = async (reason: QuarantineReason, detail: string): Promise<ReingestOutcome> => {
          await updateHeldReason(tx, id, reason, detail);
          return { id, outcome: 'held', source: held.sourceName, reason, detail };
        };
        const row = reconsiderHeldEvent(held.raw);
        if ('reason' in row) return hold(row.reason, row.detail);
        // Held during a backfill, it may be older than the source's first month: the month is made as a page makes
        // it, and one past the source's retention is never made, so the event stays held as expired.
        const month = monthOf(new Date(parseRfc3339(row.eventTime)));
        if ((await createEventMonthsFor(db, held.sourceId, [month], new Date())).length > 0) return hold('expired', `its month ${month} is past the source's retention`);
        const { insertedIds, refused } = await insertEventsOneByOne(tx, held.sourceId, held.sourceName, [row]);
        if (refused.length > 0) return hold('database', `PostgreSQL refused it (SQLSTATE ${refused[0].sqlState}): ${refused[0].message}`);
        // Another event holds this id: the first one stored stays, this one stays held for the operator to compare.
        if (insertedIds.length === 0) return hold('duplicate_id', 'an event with the same id is stored already');
        await tx.query('UPDATE checkpoints SET events_ingested = events_ingested + 1, updated_at = now() WHERE source_id = $1', [held.sourceId]);
        await markReingested(tx, id);
        alertsChanged += await detectInReingested(tx, { id: held.sourceId, name: held.sourceName }, row);
        sourcesWithNewEvents.add(held.sourceId);
        return { id, outcome: 'stored', source: held.sourceName, eventId: row.eventId };
      }),
    );
  }
  for (const [sourceId, name] of touched) {
    if (await db.withTransaction(async (tx) => refreshHeldEventsAlert(tx, { id: sourceId, name }, await countHeld(tx, sourceId)))) alertsChanged++;
  }
  return { outcomes, sourcesWithNewEvents: [...sourcesWithNewEvents], alertsChanged };
}
