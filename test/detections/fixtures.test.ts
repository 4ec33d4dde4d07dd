import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInFixturesDir, FixtureFileError, loadFixtureFile, loadFixtureFolder, type RuleFixtures } from '../../detections/fixture-file';
import { fixtureGaps } from '../../detections/fixture-coverage';
import { runRuleFixtures } from '../../detections/fixture-runner';
import { DETECTION_PACKS, detectionPacks, rulesOfPacks } from '../../detections/registry';
import type { Database } from '../../store/database';
import { openTestDatabase } from '../../harness/sources';

const BUILT_IN_RULES = rulesOfPacks(DETECTION_PACKS.map((pack) => pack.id));
const BUILT_IN_FIXTURES = loadFixtureFolder(builtInFixturesDir());
// The example of a team's own rules, loaded as workers load DETECTION_RULES_DIR: held to the same convention.
const EXAMPLE_DIR = path.join(__dirname, '..', '..', 'detections', 'examples', 'team-rules');
const EXAMPLE_PACKS = detectionPacks(EXAMPLE_DIR).filter((pack) => !DETECTION_PACKS.some((shipped) => shipped.id === pack.id));
const EXAMPLE_RULES = rulesOfPacks(EXAMPLE_PACKS.map((pack) => pack.id), EXAMPLE_PACKS);
const EXAMPLE_FIXTURES = loadFixtureFolder(path.join(EXAMPLE_DIR, 'fixtures'));

function fixturesFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fixtures-')), name);
  writeFileSync(file, text);
  return file;
}

const EVENT = (action: string, time: string) => `
      - id: 0b6f2a52-6f0e-4c1e-9d7a-1e2f3a4b5c6d
        type: events
        attributes: { time: "${time}", processedAt: "${time}", action: ${action}, actor: { id: "557058:aaaaaaaa-0000-4000-8000-000000000001" }, context: [] }`;

describe('fixtures of the built-in rules', () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());

  it('cover every rule of every pack with a fire and a quiet case', () => {
    expect(fixtureGaps(BUILT_IN_RULES, BUILT_IN_FIXTURES)).toEqual([]);
  });

  it.each(BUILT_IN_FIXTURES.map((fixtures) => [fixtures.ruleId, fixtures] as const))('%s: every case passes through the engine', async (ruleId, fixtures) => {
    const rule = BUILT_IN_RULES.find((packed) => packed.rule.id === ruleId)!;
    const results = await runRuleFixtures(db, fixtures, rule);
    expect(results.filter((r) => !r.passed).map((r) => `${r.caseName} (expected ${r.expect}): ${r.detail}`)).toEqual([]);
  });

  it('leave nothing behind: each case runs in a transaction that is rolled back', async () => {
    const before = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM sources WHERE name LIKE 'fixtures-%'");
    const fixtures = BUILT_IN_FIXTURES.find((f) => f.ruleId === 'failed-login-burst')!;
    await runRuleFixtures(db, fixtures, BUILT_IN_RULES.find((packed) => packed.rule.id === 'failed-login-burst')!);
    const after = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM sources WHERE name LIKE 'fixtures-%'");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('fail a case whose expectation the rule does not meet, saying what it saw', async () => {
    const wrong: RuleFixtures = { ...BUILT_IN_FIXTURES.find((f) => f.ruleId === 'failed-login-burst')! };
    wrong.cases = wrong.cases.map((c) => ({ ...c, expect: c.expect === 'fire' ? 'quiet' : 'fire' }));
    const results = await runRuleFixtures(db, wrong, BUILT_IN_RULES.find((packed) => packed.rule.id === 'failed-login-burst')!);
    expect(results.every((r) => !r.passed)).toBe(true);
    expect(results[0].detail).toBe('detections on event #5 of 5 events');
    expect(results[1].detail).toBe('no detection on any of its 4 events');
  });
});

describe("fixtures of the example team pack", () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());

  it('cover every rule of the pack with a fire and a quiet case', () => {
    expect(EXAMPLE_RULES.length).toBeGreaterThan(0);
    expect(fixtureGaps(EXAMPLE_RULES, EXAMPLE_FIXTURES)).toEqual([]);
  });

  it.each(EXAMPLE_FIXTURES.map((fixtures) => [fixtures.ruleId, fixtures] as const))('%s: every case passes through the engine', async (ruleId, fixtures) => {
    const rule = EXAMPLE_RULES.find((packed) => packed.rule.id === ruleId)!;
    const results = await runRuleFixtures(db, fixtures, rule);
    expect(results.filter((r) => !r.passed).map((r) => `${r.caseName} (expected ${r.expect}): ${r.detail}`)).toEqual([]);
  });
});

describe('fixture coverage', () => {
  const [rule] = BUILT_IN_RULES;
  const fixtures = BUILT_IN_FIXTURES.find((f) => f.ruleId === rule.rule.id)!;

  it('names a rule without a fixtures file, a file without a fire or a quiet case, and a file for an unknown rule', () => {
    expect(fixtureGaps([rule], [])).toEqual([`rule ${rule.rule.id} (pack atlassian-core) has no fixtures file: add fixtures/${rule.rule.id}.yaml`]);
    const onlyFire = { ...fixtures, cases: fixtures.cases.filter((c) => c.expect === 'fire') };
    expect(fixtureGaps([rule], [onlyFire])).toEqual([`${fixtures.file}: rule ${rule.rule.id} has no "expect: quiet" case`]);
    const onlyQuiet = { ...fixtures, cases: fixtures.cases.filter((c) => c.expect === 'quiet') };
    expect(fixtureGaps([rule], [onlyQuiet])).toEqual([`${fixtures.file}: rule ${rule.rule.id} has no "expect: fire" case`]);
    expect(fixtureGaps([], [fixtures])).toEqual([`${fixtures.file}: no pack has a rule "${rule.rule.id}"`]);
  });
});

describe('fixture files', () => {
  it('refuse a file whose field breaks the convention, naming the file and the field', () => {
    const badTime = fixturesFile('x-rule.yaml', `rule: x-rule\ncases:\n  - name: late\n    expect: fire\n    events:${EVENT('user_login', 'yesterday')}\n`);
    expect(() => loadFixtureFile(badTime)).toThrow(FixtureFileError);
    expect(() => loadFixtureFile(badTime)).toThrow(new RegExp(`^${badTime}: cases\\[0\\]\\.events\\[0\\]\\.attributes\\.time: `));
    const badExpect = fixturesFile('x-rule.yaml', `rule: x-rule\ncases:\n  - name: n\n    expect: fires\n    events:${EVENT('user_login', '2026-03-02T09:00:00Z')}\n`);
    expect(() => loadFixtureFile(badExpect)).toThrow(`${badExpect}: cases[0].expect: `);
    const unordered = fixturesFile(
      'x-rule.yaml',
      `rule: x-rule\ncases:\n  - name: n\n    expect: fire\n    events:${EVENT('user_login', '2026-03-02T09:00:00Z')}${EVENT('user_login', '2026-03-02T08:00:00Z')}\n`,
    );
    expect(() => loadFixtureFile(unordered)).toThrow(`${unordered}: cases[0].events: events must be in time order`);
  });

  it('refuse a file named after another rule, and one that is not YAML', () => {
    const misnamed = fixturesFile('other-rule.yaml', `rule: x-rule\ncases:\n  - name: n\n    expect: fire\n    events:${EVENT('user_login', '2026-03-02T09:00:00Z')}\n`);
    expect(() => loadFixtureFile(misnamed)).toThrow(`${misnamed}: rule: "x-rule" differs from the file name: name the file x-rule.yaml`);
    const notYaml = fixturesFile('x-rule.yaml', 'rule: [unclosed\n');
    expect(() => loadFixtureFile(notYaml)).toThrow(new RegExp(`^${notYaml}: `));
  });
});
