/** The tables an erasure redacts, in the order it works through them. */
export const ERASED_TABLES = ['alerts', 'detections', 'quarantined_events', 'events'] as const;
export type ErasedTable = (typeof ERASED_TABLES)[number];

/** table -> source name -> rows redacted (or, in a dry run, that would be). */
export type ErasureCounts = Partial<Record<ErasedTable, Record<string, number>>>;

/** Where an erasure looks, and the names its counts are given by. */
export interface ErasureScope {
  /** null: every source. */
  sourceIds: string[] | null;
  sourceNames: ReadonlyMap<string, string>;
}

export class Tally {
  readonly counts: ErasureCounts = {};

  constructor(private readonly scope: ErasureScope) {}

  add(table: ErasedTable, sourceId: string, rows: number): void {
    if (rows === 0) return;
    const bySource = (this.counts[table] ??= {});
    const name = this.scope.sourceNames.get(sourceId) ?? sourceId;
    bySource[name] = (bySource[name] ?? 0) + rows;
  }

  total(): number {
    return Object.values(this.counts).reduce((sum, bySource) => sum + Object.values(bySource).reduce((a, b) => a + b, 0), 0);
  }
}
