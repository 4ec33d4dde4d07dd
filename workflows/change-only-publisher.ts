import { upsertMemo, upsertSearchAttributes, workflowInfo, type WorkflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { allSearchAttributes } from '../contract/search-attributes';

/**
 * Search attributes and memo, written only when a value differs from what the workflow already shows: each write is
 * two history events and a visibility write, and an idle poll changes nothing. It starts from what the run was
 * started (or continued) with, so a new run does not write everything again.
 */
export class ChangeOnlyPublisher {
  readonly #shown = ShownValues.atStart(workflowInfo());

  attributes(pairs: SearchAttributeUpdatePair[]): void {
    const changed = pairs.filter((pair) => this.#shown.change(`attribute:${pair.key.name}`, pair.value));
    if (changed.length > 0) upsertSearchAttributes(changed);
  }

  memo(values: Record<string, unknown>): void {
    const changed = Object.entries(values).filter(([name, value]) => this.#shown.change(`memo:${name}`, value));
    if (changed.length > 0) upsertMemo(Object.fromEntries(changed));
  }
}

/** What a workflow shows, each value by its name (`attribute:` or `memo:` and its key) as JSON. */
export class ShownValues {
  readonly #shown = new Map<string, string>();

  /** What the run was started or continued with. */
  static atStart(info: Pick<WorkflowInfo, 'typedSearchAttributes' | 'memo'>): ShownValues {
    const shown = new ShownValues();
    for (const key of allSearchAttributes) {
      const value = info.typedSearchAttributes.get(key);
      if (value !== undefined) shown.change(`attribute:${key.name}`, value);
    }
    for (const [name, value] of Object.entries(info.memo ?? {})) shown.change(`memo:${name}`, value);
    return shown;
  }

  /** True when `value` differs from what `name` shows; it is shown from then on. */
  change(name: string, value: unknown): boolean {
    const text = JSON.stringify(value);
    if (this.#shown.get(name) === text) return false;
    this.#shown.set(name, text);
    return true;
  }
}
