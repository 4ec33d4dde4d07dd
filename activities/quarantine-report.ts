import type { PoolClient } from 'pg';
import { reportHeldEvents, reportRepeatedCursor, resolveRepeatedCursorAlert } from '../alerts/quarantine-alert';
import { countHeld } from '../store/quarantine';
import type { SourceRecord } from '../store/sources';

/**
 * Tells the operator, in a page's transaction, what the page held back: the source's alert for held events (opened,
 * or its count brought up to date), and its alert for a cursor that does not advance (opened, or resolved once the
 * cursor moves again).
 */
export class QuarantineReport {
  // Sources whose cursor alert this worker knows to be resolved: a moving cursor then costs a page no query.
  readonly #cursorKnownMoving = new Set<string>();

  /** Returns how many alerts it opened or resolved, for the alert dispatcher to hear of once the page commits. */
  async tell(tx: PoolClient, source: SourceRecord, newlyHeld: number, cursorRepeated: boolean): Promise<number> {
    let changed = 0;
    if (newlyHeld > 0 && (await reportHeldEvents(tx, source, await countHeld(tx, source.id)))) changed++;
    if (cursorRepeated) {
      if (await reportRepeatedCursor(tx, source)) changed++;
    } else if (!this.#cursorKnownMoving.has(source.id) && (await resolveRepeatedCursorAlert(tx, source.id))) {
      changed++;
    }
    return changed;
  }

  /** Whether `tell` would have anything to say of a page that held nothing back: when false, it needs no transaction. */
  hasNews(sourceId: string, cursorRepeated: boolean): boolean {
    return cursorRepeated || !this.#cursorKnownMoving.has(sourceId);
  }

  /** After the page committed: only then is a resolution certain (a rolled-back one is tried again). */
  committed(sourceId: string, cursorRepeated: boolean): void {
    if (cursorRepeated) this.#cursorKnownMoving.delete(sourceId);
    else this.#cursorKnownMoving.add(sourceId);
  }
}
