import type { RuleFixtures } from './fixture-file';
import type { PackedRule } from './registry';

/**
 * What keeps a set of rules from being tested like code: a rule without a fixtures file, a file without a `fire` or a
 * `quiet` case, a file for a rule no pack has. One line each; none means every rule is covered.
 */
export function fixtureGaps(rules: readonly PackedRule[], fixtures: readonly RuleFixtures[]): string[] {
  const byRule = new Map(fixtures.map((file) => [file.ruleId, file]));
  const known = new Set(rules.map(({ rule }) => rule.id));
  const gaps: string[] = [];
  for (const { packId, rule } of rules) {
    const file = byRule.get(rule.id);
    if (!file) {
      gaps.push(`rule ${rule.id} (pack ${packId}) has no fixtures file: add fixtures/${rule.id}.yaml`);
      continue;
    }
    for (const expect of ['fire', 'quiet'] as const) {
      if (!file.cases.some((c) => c.expect === expect)) gaps.push(`${file.file}: rule ${rule.id} has no "expect: ${expect}" case`);
    }
  }
  for (const file of fixtures) {
    if (!known.has(file.ruleId)) gaps.push(`${file.file}: no pack has a rule "${file.ruleId}"`);
  }
  return gaps;
}
