/**
 * A rule's action patterns (`*` = any run of characters) as a JavaScript test for fresh events and as SQL LIKE
 * patterns for counting stored ones, so both sides always agree on which actions a rule looks at.
 */
export interface ActionFilter {
  test(action: string): boolean;
  /** No pattern has a wildcard: SQL can compare with `=`, which an index on action serves. */
  exact: boolean;
  /** For `action LIKE ANY($n)`: `_` and `%` of action keys escaped, `*` turned into `%`. */
  likePatterns: string[];
}

const compiled = new WeakMap<readonly string[], ActionFilter>();

export function actionFilter(patterns: readonly string[]): ActionFilter {
  let filter = compiled.get(patterns);
  if (!filter) {
    filter = compile(patterns);
    compiled.set(patterns, filter);
  }
  return filter;
}

function compile(patterns: readonly string[]): ActionFilter {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wildcards = patterns.filter((p) => p.includes('*')).map((p) => wildcardRegExp(p));
  return {
    test: (action) => exact.has(action) || wildcards.some((re) => re.test(action)),
    exact: wildcards.length === 0,
    likePatterns: patterns.map((p) => p.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%')),
  };
}

/** A pattern where `*` stands for any run of characters, as a whole-text regular expression. */
export function wildcardRegExp(pattern: string, flags = ''): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, flags);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
