import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Database } from '../../store/database';
import { cliEnvironment, KEY_VAR, openTestDatabase } from '../cli/cli-test-setup';
import { refusal, runCli, succeeded } from '../cli/run-cli';
import { createTestSource } from '../../harness/sources';

const root = path.join(__dirname, '..', '..');
const EXAMPLE = path.join(root, 'detections', 'examples', 'team-rules');
const UNREACHABLE_API = 'http://127.0.0.1:9';

describe("a team's rules in the operator CLI and the worker", () => {
  let db: Database;
  let scratch: string;
  beforeAll(() => {
    db = openTestDatabase();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'team-rules-cli-'));
  });
  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await db.close();
  });
  const env = (extra: Record<string, string> = {}) => cliEnvironment('unused-queue', UNREACHABLE_API, extra);

  it('rules check passes the example and lists every problem of a bad folder, one line each, without a database', async () => {
    expect(succeeded(await runCli(['rules', 'check', EXAMPLE], { env: {} }))).toBe(`${EXAMPLE}: 1 pack(s) (acme-example), 3 rule(s), 3 allowlist(s): no problems\n`);
    const bad = path.join(scratch, 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'team.yaml'), 'id: team\ntitle: T\ndescription: D\nsuppress:\n  - { rule: nope, ips: [10.0.0.0/8] }\n');
    writeFileSync(path.join(bad, 'other.yaml'), 'id: other\ntitle: T\ndescription: D\nsuppress:\n  - { rule: api-token-created }\n');
    const run = await runCli(['rules', 'check'], { env: { DETECTION_RULES_DIR: bad } });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `error: ${bad}/other.yaml: suppress[0]: give actors, ips or apps`,
      `error: ${bad}/team.yaml: suppress[0].rule: no rule "nope", shipped or in ${bad}`,
    ]);
    expect(refusal(await runCli(['rules', 'check'], { env: {} }))).toBe('error: give a rules folder, or set DETECTION_RULES_DIR');
  });

  it("apply -f takes a team's pack id from the rules folder and refuses an unknown one, naming the file, source and field", async () => {
    const file = path.join(scratch, 'sources.yaml');
    const name = `team-${randomUUID().slice(0, 8)}`;
    const declare = (detectionPacks: string[]) => writeFileSync(file, stringify({ sources: [{ name, orgId: randomUUID(), apiKey: { env: KEY_VAR }, detectionPacks }] }));

    declare(['atlassian-core', 'acme-example']);
    // Without the folder, the team's pack does not exist.
    expect(refusal(await runCli(['apply', '-f', file, '--dry-run'], { env: env({ [KEY_VAR]: 'unused' }) }))).toBe(
      `error: ${file}: sources[0] (${name}): detectionPacks[1]: no detection pack "acme-example"`,
    );
    const planned = succeeded(await runCli(['apply', '-f', file, '--dry-run'], { env: env({ [KEY_VAR]: 'unused', DETECTION_RULES_DIR: EXAMPLE }) }));
    expect(planned).toContain('dry run: nothing changed');

    declare(['acme-exampel']);
    expect(refusal(await runCli(['apply', '-f', file, '--dry-run'], { env: env({ [KEY_VAR]: 'unused', DETECTION_RULES_DIR: EXAMPLE }) }))).toBe(
      `error: ${file}: sources[0] (${name}): detectionPacks[0]: no detection pack "acme-exampel"`,
    );
  });

  it("packs enable turns a team's pack on for one source", async () => {
    const source = await createTestSource(db, { organizationId: randomUUID(), apiKey: 'unused', apiBaseUrl: UNREACHABLE_API, name: `team-${randomUUID().slice(0, 8)}` });
    const enabled = succeeded(await runCli(['packs', 'enable', 'acme-example', '--source', source.name], { env: env({ DETECTION_RULES_DIR: EXAMPLE }) }));
    expect(enabled).toBe(`enabled pack acme-example (3 rules) for source ${source.name}; it evaluates new events (--rescan-days N also evaluates stored ones)\n`);
    const { rows } = await db.query('SELECT pack_id FROM source_detection_packs WHERE source_id = $1', [source.id]);
    expect(rows).toEqual([{ pack_id: 'acme-example' }]);
    expect(refusal(await runCli(['packs', 'enable', 'acme-example', '--source', source.name], { env: env() }))).toBe(
      'error: no detection pack "acme-example": the packs are atlassian-core',
    );
  });

  it('a worker with a bad rules folder stops at start with one line naming the file and field', () => {
    const bad = path.join(scratch, 'worker-bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'team.yaml'), 'id: team\ntitle: T\ndescription: D\nrules:\n  - { id: r, title: T, description: D, severity: high, kind: event, match: { actions: [x] }, subject: actor, period: soon }\n');
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'workers/main.ts'], {
      cwd: root,
      env: { HOME: os.homedir(), PATH: process.env.PATH, ...env({ DETECTION_RULES_DIR: bad }) } as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([`error: DETECTION_RULES_DIR: ${bad}/team.yaml: rules[0] (r).period: "soon" is not a duration such as 90m, 24h or 2d`]);
  });
});
