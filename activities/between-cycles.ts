/**
 * The round trip between two backfilling cycles of a source workflow (BACKFILL_CYCLES_WITHOUT_TIMER). It does nothing:
 * its result, like the 1 ms timer it replaces, comes after every message sent during the cycle, live and on replay
 * alike, so the loop then finds the same handed work either way (workflows/handed-work.ts). The server hands an
 * activity out at once, often eagerly to the same worker, but fires a timer no sooner than a second after its timer
 * queue last read (history.timerProcessorMaxTimeShift): the timer cost a backfill up to a second every 50 pages.
 */
export async function betweenCycles(): Promise<void> {
  // Nothing to do: the round trip is the point.
}
