import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import { createDetectionHook } from '../../detections/engine';
import type { RunningSimulator } from '../../simulator/server';
import { cipher, cliEnvironment, KEY_VAR, openTestDatabase } from '../cli/cli-test-setup';
import { eventually, exitedWith, refusal, runCli, succeeded } from '../cli/run-cli';
import { withWorker } from '../../harness/worker';
import { useSimulatorAndDatabase } from '../../harness/fixtures';

const EXAMPLE_RULES = path.join(__dirname, '..', '..', 'detections', 'examples', 'team-rules');

const HISTORY = 400;

describe('detection commands of the operator CLI', () => {
  let db: Database;
  let simulator: RunningSimulator;
  useSimulatorAndDatabase({ seed: 29, orgs: [{}], history: { count: HISTORY, spanMs: 2 * 24 * 3_600_000 } }, (fixture) => ({ simulator, db } = fixture), openTestDatabase);

  it('add --detection-packs evaluates the backfill from its first page', async () => {
    const org = simulator.orgs[0];
    await withWorker(createActivities({ db, cipher, onEventsInserted: createDetectionHook() }), async ({ client, taskQueue }) => {
      const env = cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: org.keys.valid });
      const added = succeeded(await runCli(['add', 'guarded', '--org-id', org.id, '--api-key-env', KEY_VAR, '--detection-packs', 'atlassian-core'], { env }));
      expect(added).toContain('; detection packs: atlassian-core');
      const source = (await findSourceByName(db, 'guarded'))!;
      const { rows: packs } = await db.query('SELECT pack_id FROM source_detection_packs WHERE source_id = $1', [source.id]);
      expect(packs).toEqual([{ pack_id: 'atlassian-core' }]);
      await eventually(
        async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE source_id = $1', [source.id])).rows[0].n,
        (n) => n === HISTORY,
        'the backfill',
      );
      // The simulated history holds risky admin actions among ordinary ones; the backfill's detections carry alerts.
      const { rows } = await db.query<{ n: number; with_alert: number }>(
        `SELECT count(*)::int AS n, count(a.id)::int AS with_alert FROM detections d LEFT JOIN alerts a ON a.id = d.alert_id WHERE d.source_id = $1`,
        [source.id],
      );
      expect(rows[0].n).toBeGreaterThan(0);
      expect(rows[0].with_alert).toBe(rows[0].n);
      await client.workflow.getHandle(`atlassian-source-guarded`).terminate('test done');
    });
  });

  it('refuses bad input in one line, before anything is written', async () => {
    const env = cliEnvironment('unused-queue', simulator.url, { [KEY_VAR]: simulator.orgs[0].keys.valid });
    const cli = async (...args: string[]) => refusal(await runCli(args, { env }));
    expect(await cli('add', 'never-added', '--org-id', simulator.orgs[0].id, '--api-key-env', KEY_VAR, '--detection-packs', 'atlassian-core,nope')).toBe(
      'error: no detection pack "nope": the packs are atlassian-core',
    );
    expect(await findSourceByName(db, 'never-added')).toBeUndefined();
    expect(await cli('packs', 'enable', 'nope', '--source', 'guarded')).toBe('error: no detection pack "nope": the packs are atlassian-core');
    expect(await cli('packs', 'enable', 'atlassian-core', '--source', 'guarded', '--rescan-days', '0')).toBe(
      'error: --rescan-days must be a whole number of days from 1 to 180, got 0',
    );
    expect(await cli('packs', 'enable', 'atlassian-core', '--source', 'guarded', '--allowed-invite-domains', 'acme,example.com')).toBe(
      'error: "acme" is not an e-mail domain: write domains such as example.com, separated by commas',
    );
    expect(await cli('packs', 'disable', 'atlassian-core', '--source', 'nobody')).toBe('error: no source named "nobody": `atlassian-audit list` shows the sources');
    expect(await cli('detections', '--limit', 'many')).toBe('error: --limit must be a whole number from 1 to 10000, got many');
  });

  it('lists the packs with their rules', async () => {
    const env = cliEnvironment('unused-queue', simulator.url);
    const table = succeeded(await runCli(['packs', 'list', '--rules'], { env }));
    expect(table).toMatch(/^PACK\s+RULES\s+ENABLED FOR\s+TITLE$/m);
    expect(table).toMatch(/^atlassian-core\s+19\s+/m);
    expect(table).toMatch(/^atlassian-core\s+failed-login-burst\s+high\s+Repeated failed logins from one IP address$/m);
  });

  describe('packs test', () => {
    /** A team's rules folder whose fixtures/ holds the given files. */
    function rulesFolder(files: Record<string, string>): string {
      const dir = mkdtempSync(path.join(tmpdir(), 'team-rules-'));
      mkdirSync(path.join(dir, 'fixtures'));
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, 'fixtures', name), text);
      return dir;
    }

    it('runs the fixtures of every built-in rule, one line per case', async () => {
      const env = cliEnvironment('unused-queue', simulator.url);
      const out = succeeded(await runCli(['packs', 'test'], { env }));
      expect(out).toMatch(/^PASS {2}failed-login-burst {2}5 failed logins from one IP address in 4 minutes$/m);
      expect(out).toMatch(/^PASS {2}product-access-grant-burst {2}10 grants by two admins: 5 each$/m);
      expect(out).not.toMatch(/^FAIL/m);
      expect(out).toMatch(/^(\d+) cases of 19 rules: \1 passed, 0 failed; 0 coverage gaps\n$/m);
      const json = JSON.parse(succeeded(await runCli(['packs', 'test', '-o', 'json'], { env })));
      expect(json).toMatchObject({ passed: true, gaps: [] });
      expect(new Set(json.cases.map((c: { ruleId: string }) => c.ruleId)).size).toBe(19);
    });

    it("runs a team's own rules against their fixtures, and exits 1 on a failing case, a rule without fixtures or a file for no rule", async () => {
      const env = cliEnvironment('unused-queue', simulator.url);
      const dir = mkdtempSync(path.join(tmpdir(), 'team-rules-'));
      cpSync(EXAMPLE_RULES, dir, { recursive: true });
      const passing = succeeded(await runCli(['packs', 'test', '--rules', dir], { env }));
      expect(passing).toMatch(/^PASS {2}acme-api-token-burst {2}three tokens by one account within ten minutes$/m);
      expect(passing).not.toMatch(/^FAIL/m);
      expect(passing).toMatch(/^(\d+) cases of 3 rules: \1 passed, 0 failed; 0 coverage gaps\n$/m);

      // A case that expects the opposite of what the rule does, a rule left without fixtures, a file for no rule.
      const burst = path.join(dir, 'fixtures', 'acme-api-token-burst.yaml');
      const flipped = parseYaml(readFileSync(burst, 'utf8')) as { cases: { name: string; expect: string }[] };
      flipped.cases = flipped.cases.map((c) => ({ ...c, expect: c.expect === 'fire' ? 'quiet' : 'fire' }));
      writeFileSync(burst, toYaml(flipped));
      rmSync(path.join(dir, 'fixtures', 'acme-contractor-admin-change.yaml'));
      writeFileSync(path.join(dir, 'fixtures', 'vpn-login.yaml'), toYaml({ rule: 'vpn-login', cases: flipped.cases.slice(0, 1) }));
      const run = await runCli(['packs', 'test', '--rules', dir], { env });
      const lines = exitedWith(run, 1).split('\n');
      expect(lines).toContain('FAIL  rule acme-contractor-admin-change (pack acme-example) has no fixtures file: add fixtures/acme-contractor-admin-change.yaml');
      expect(lines).toContain(`FAIL  ${path.join(dir, 'fixtures', 'vpn-login.yaml')}: no pack has a rule "vpn-login"`);
      expect(lines.filter((line) => line.startsWith('FAIL  acme-api-token-burst  ')).length).toBe(flipped.cases.length);
      expect(run.stderr).toMatch(/^error: fixtures failed in .*: \d+ failed cases, 2 coverage gaps\n$/);
    });

    it('refuses a fixtures file that breaks the convention in one line naming the file and the field', async () => {
      const env = cliEnvironment('unused-queue', simulator.url);
      const dir = rulesFolder({ 'failed-login-burst.yaml': 'rule: failed-login-burst\ncases:\n  - name: n\n    expect: sometimes\n    events: []\n' });
      expect(refusal(await runCli(['packs', 'test', '--rules', dir], { env }))).toBe(
        `error: ${path.join(dir, 'fixtures', 'failed-login-burst.yaml')}: cases[0].expect: Invalid option: expected one of "fire"|"quiet"`,
      );
      expect(refusal(await runCli(['packs', 'test', '--rules', path.join(dir, 'nowhere')], { env }))).toBe(
        `error: --rules ${path.join(dir, 'nowhere')}: no fixtures/ folder there: fixtures live in <rules folder>/fixtures/<rule-id>.yaml`,
      );
    });
  });
});
