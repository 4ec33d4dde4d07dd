// Events are JSON of any depth as far as the API is concerned. JSON.parse takes any depth, but JSON.stringify and
// every other recursive walk run out of stack a few thousand levels down (about 4,400 for JSON.stringify, 2,000 for
// a walk that copies), with a RangeError that would fail the page on every retry. These two never recurse.

/** Whether the value holds arrays or objects nested more than `levels` deep (a scalar is 0 levels). */
export function nestedDeeperThan(value: unknown, levels: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (next === null || typeof next !== 'object') continue;
    if (depth + 1 > levels) return true;
    for (const inner of Array.isArray(next) ? next : Object.values(next)) pending.push([inner, depth + 1]);
  }
  return false;
}

/** JSON.stringify's text for a value JSON.parse made, at any depth. */
export function jsonText(value: unknown): string {
  const out: string[] = [];
  // Values still to write, and the punctuation between them, in reverse order.
  const pending: Array<{ value: unknown } | { text: string }> = [{ value }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if ('text' in next) {
      out.push(next.text);
    } else if (Array.isArray(next.value)) {
      out.push('[');
      pending.push({ text: ']' });
      for (let i = next.value.length - 1; i >= 0; i--) {
        pending.push({ value: next.value[i] });
        if (i > 0) pending.push({ text: ',' });
      }
    } else if (next.value !== null && typeof next.value === 'object') {
      out.push('{');
      pending.push({ text: '}' });
      const entries = Object.entries(next.value);
      for (let i = entries.length - 1; i >= 0; i--) {
        pending.push({ value: entries[i][1] });
        pending.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(entries[i][0])}:` });
      }
    } else {
      out.push(JSON.stringify(next.value) ?? 'null');
    }
  }
  return out.join('');
}
