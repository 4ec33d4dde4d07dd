import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { allSearchAttributes } from '../contract/search-attributes';

/**
 * Search attributes and memo, written only when a value differs from what the workflow already shows: each write is
 * two history events and a visibility write, and an idle poll changes nothing. It starts from what the run was
 * started (or continued) with, so a new run does not write everything again.
 */
export class ChangeOnlyPublisher {
  readonly #shown = new Map<string, string>();

  constructor() {
    const info = workflowInfo();
    for (const key of allSearchAttributes) {
      const value = info.typedSearchAttributes.get(key);
      if (value !== undefined) this.#shown.set(`attribute:${key.name}`, JSON.stringify(value));
    }
    for (const [name, value] of Object.entries(info.memo ?? {})) this.#shown.set(`memo:${name}`, JSON.stringify(value));
  }

  attributes(pairs: SearchAttributeUpdatePair[]): void {
    const changed = pairs.filter((pair) => this.#changes(`attribute:${pair.key.name}`, pair.value));
    if (changed.length > 0) upsertSearchAttributes(changed);
  }

  memo(values: Record<string, unknown>): void {
    const changed = Object.entries(values).filter(([name, value]) => this.#changes(`memo:${name}`, value));
    if (changed.length > 0) upsertMemo(Object.fromEntries(changed));
  }

  #changes(name: string, value: unknown): boolean {
    const text = JSON.stringify(value);
    if (this.#shown.get(name) === text) return false;
    this.#shown.set(name, text);
    return true;
  }
}
