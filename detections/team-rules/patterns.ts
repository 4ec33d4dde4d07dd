/** A test for texts against patterns where `*` stands for any run of characters, ignoring case. */
export function textPatterns(patterns: readonly string[]): (value: string | null) => boolean {
  const expressions = patterns.map((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`, 'i'));
  return (value) => value !== null && expressions.some((re) => re.test(value));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
