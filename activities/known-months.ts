/** Forgotten all at once past this many: a long-lived worker of many sources then asks again, at one query a month. */
const MAX_KNOWN = 10_000;

/** The months ('YYYY-MM') of each source that this worker knows to have something (here: planner statistics). */
export class KnownMonths {
  readonly #known = new Set<string>();

  /** Those of `months` not known yet, each once. */
  unknown(sourceId: string, months: readonly string[]): string[] {
    return [...new Set(months)].filter((month) => !this.#known.has(`${sourceId} ${month}`));
  }

  add(sourceId: string, months: readonly string[]): void {
    if (this.#known.size + months.length > MAX_KNOWN) this.#known.clear();
    for (const month of months) this.#known.add(`${sourceId} ${month}`);
  }
}
