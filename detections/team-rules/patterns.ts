import { wildcardRegExp } from '../action-filter';

/** A test for texts against patterns where `*` stands for any run of characters, ignoring case. */
export function textPatterns(patterns: readonly string[]): (value: string | null) => boolean {
  const expressions = patterns.map((pattern) => wildcardRegExp(pattern, 'i'));
  return (value) => value !== null && expressions.some((re) => re.test(value));
}
