import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OperatorError } from '../../config/operator-error';
import { createDetectionHook } from '../../detections/engine';
import { DETECTION_PACKS, detectionPacks } from '../../detections/registry';
import { readRulesFolder } from '../../detections/team-rules/load';
import type { Database } from '../../store/database';
import { openTestDatabase } from '../../harness/sources';
import { detectionAlertsOf, detectionsOf, sourceWithPacks } from './detection-harness';
import { ADMIN, ingestRows, minutes, row, USER, userEntry } from './sample-events';

const EXAMPLE = path.join(__dirname, '..', '..', 'detections', 'examples', 'team-rules');
const CONTRACTOR = { id: '557058:c0c0c0c0-0000-4000-8000-000000000009', name: 'Carl Contractor', email: 'carl@contractors.acme.example.com' };
const RELEASE_BOT = { id: '557058:b0b0b0b0-0000-4000-8000-000000000009', name: 'Release Bot', email: 'release-bot@acme.example.com' };

/** The shipped packs and the example's, with its allowlists: what a worker with DETECTION_RULES_DIR=EXAMPLE runs. */
const packs = detectionPacks(EXAMPLE);
const hook = () => createDetectionHook({ packs });

function rulesFolder(files: Record<string, string>): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'team-rules-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
  return folder;
}

const PACK_HEAD = 'id: team\ntitle: Team\ndescription: The team\n';
const tokenRule = (overrides: string) => `${PACK_HEAD}rules:\n  - id: team-rule\n    title: T\n    description: D\n    severity: high\n    kind: event\n    match: { actions: [api_token_created] }\n    subject: actor\n    period: 1h\n${overrides}`;

describe("a team's rules folder, read and checked", () => {
  const folders: string[] = [];
  const problemsOf = (files: Record<string, string>) => {
    const folder = rulesFolder(files);
    folders.push(folder);
    return readRulesFolder(folder, DETECTION_PACKS).problems.map((problem) => problem.replace(`${folder}/`, ''));
  };
  afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  it('compiles the example into a pack of its own beside the shipped ones', () => {
    expect(packs.map((pack) => pack.id)).toEqual(['atlassian-core', 'acme-example']);
    expect(packs[1].rules.map((rule) => [rule.id, rule.kind, rule.dedupSeconds])).toEqual([
      ['acme-contractor-admin-change', 'event', 3600],
      ['acme-admin-group-member-added-abroad', 'event', 86_400],
      ['acme-api-token-burst', 'threshold', 3600],
    ]);
  });

  it('names the file and field of every problem, one line each', () => {
    expect(
      problemsOf({
        'bad.yaml': `${PACK_HEAD}rules:\n  - id: burst\n    title: T\n    description: D\n    severity: urgent\n    kind: event\n    match: { actions: [x], location: { ips: [10.0.0/8] } }\n    subject: actor\n    period: 1 hour\n    alert: "{who} did it"\n`,
        'broken.yml': 'id: [\n',
        'notes.txt': 'not a rules file',
      }),
    ).toEqual([
      'bad.yaml: rules[0] (burst).severity: Invalid option: expected one of "info"|"low"|"medium"|"high"|"critical"',
      'bad.yaml: rules[0] (burst).match.location.ips[0]: "10.0.0/8" is not a network such as 10.1.2.0/24 or 2001:db8::/32',
      'bad.yaml: rules[0] (burst).period: "1 hour" is not a duration such as 90m, 24h or 2d',
      'bad.yaml: rules[0] (burst).alert: unknown field {who}: use {actor}, {action}, {ip}, {country}, {user}, {group}, {app}, {token}, {subject}',
      expect.stringMatching(/^broken\.yml: not valid YAML: .+ at line 2, column 1$/),
    ]);
  });

  it('refuses a threshold rule that would count what it does not match, and ids or allowlists that clash', () => {
    const threshold = `${PACK_HEAD}rules:\n  - id: burst\n    title: T\n    description: D\n    severity: high\n    kind: threshold\n    match: { actions: [x], actor: { ids: [a] } }\n    subject: group\n    period: 1h\n`;
    expect(problemsOf({ 'team.yaml': threshold })).toEqual([
      'team.yaml: rules[0] (burst).threshold: a threshold rule needs one (a whole number from 2)',
      'team.yaml: rules[0] (burst).window: a threshold rule needs one (a duration such as 10m)',
      'team.yaml: rules[0] (burst).subject: a threshold rule counts by actor or ip',
      'team.yaml: rules[0] (burst).match.actor: a threshold rule counts events by action and subject: match on actions only',
    ]);
    expect(
      problemsOf({
        'a.yaml': tokenRule('suppress:\n  - { rule: api-token-creatd, actors: [bot@acme.example.com] }\n'),
        'b.yaml': tokenRule(''),
        'c.yaml': 'id: atlassian-core\ntitle: T\ndescription: D\n',
        'd.yaml': 'id: other\ntitle: T\ndescription: D\nrules:\n  - { id: api-token-created, title: T, description: D, severity: low, kind: event, match: { actions: [x] }, subject: actor, period: 1h }\n',
      }),
    ).toEqual([
      expect.stringMatching(/^b\.yaml: id: pack "team" is already defined by .*a\.yaml$/),
      'c.yaml: id: pack "atlassian-core" is already defined by a shipped pack',
      'd.yaml: rules[0].id: rule "api-token-created" is already defined by shipped pack atlassian-core',
      expect.stringMatching(/^a\.yaml: suppress\[0\]\.rule: no rule "api-token-creatd", shipped or in /),
    ]);
  });

  it('stops whoever loads a bad folder with one line naming the setting, file and field', () => {
    const folder = rulesFolder({ 'team.yaml': tokenRule('    subject: nobody\n').replace('    subject: actor\n', '') });
    folders.push(folder);
    expect(() => detectionPacks(folder)).toThrow(OperatorError);
    expect(() => detectionPacks(folder)).toThrow(
      `DETECTION_RULES_DIR: ${folder}/team.yaml: rules[0] (team-rule).subject: Invalid option: expected one of "actor"|"target-user"|"group"|"app"|"token"|"ip"`,
    );
    expect(() => detectionPacks(path.join(folder, 'missing'))).toThrow(`DETECTION_RULES_DIR: ${folder}/missing: cannot read the rules folder: ENOENT`);
  });
});

describe("a team's rules through the real engine", () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());
  const T0 = Date.now() - 3600_000;
  const at = (offsetMs: number) => new Date(T0 + offsetMs);

  it('fires an event rule on a matching actor, deduplicated by its subject, with the alert title of its template', async () => {
    const source = await sourceWithPacks(db, ['acme-example']);
    const grant = (actor: typeof ADMIN, time: Date) => row({ action: 'added_org_admin', actor, time, context: [userEntry(USER)] });
    const first = grant(CONTRACTOR, at(0));
    await ingestRows(db, source, [first, grant(CONTRACTOR, at(minutes(5))), grant(ADMIN, at(minutes(6)))], hook());
    // The second grant by the same contractor falls in the rule's period (1h); the employee's matches nothing.
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ rule_id: 'acme-contractor-admin-change', event_id: first.eventId, dedup_key: CONTRACTOR.id })]);
    expect(await detectionAlertsOf(db, source.id)).toEqual([
      expect.objectContaining({ severity: 'high', title: 'Carl Contractor (added_org_admin) changed admin access for Grace User' }),
    ]);
  });

  it('fires an event rule on context entries and a location outside the listed countries', async () => {
    const source = await sourceWithPacks(db, ['acme-example']);
    const added = (group: string, country: string, time: Date) =>
      row({ action: 'group_member_added', time, context: [userEntry(USER), { id: `g-${group}`, type: 'groups', attributes: { name: group } }], location: { ip: '198.51.100.7', countryName: country } });
    const abroad = added('site-admins', 'Brazil', at(minutes(2)));
    await ingestRows(db, source, [added('site-admins', 'New Zealand', at(0)), abroad, added('designers', 'Brazil', at(minutes(3)))], hook());
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ rule_id: 'acme-admin-group-member-added-abroad', event_id: abroad.eventId, dedup_key: USER.id })]);
    expect((await detectionAlertsOf(db, source.id))[0].title).toBe('Grace User added to site-admins by Ada Admin from Brazil');
  });

  it('fires a threshold rule on the event that brings its window to the count, across pages', async () => {
    const source = await sourceWithPacks(db, ['acme-example']);
    const token = (actor: typeof ADMIN, time: Date) => row({ action: 'api_token_created', actor, time });
    const tokens = [token(ADMIN, at(0)), token(USER, at(minutes(1))), token(ADMIN, at(minutes(4)))];
    await ingestRows(db, source, tokens, hook());
    expect((await detectionsOf(db, source.id)).filter((d) => d.rule_id === 'acme-api-token-burst')).toEqual([]);
    const third = token(ADMIN, at(minutes(9)));
    await ingestRows(db, source, [third], hook());
    expect((await detectionsOf(db, source.id)).filter((d) => d.rule_id === 'acme-api-token-burst')).toEqual([
      expect.objectContaining({ event_id: third.eventId, dedup_key: ADMIN.id, event_ids: [tokens[0].eventId, tokens[2].eventId, third.eventId] }),
    ]);
  });

  it("runs a team's pack only for the sources it is enabled for", async () => {
    const enabled = await sourceWithPacks(db, ['atlassian-core', 'acme-example']);
    const shippedOnly = await sourceWithPacks(db, ['atlassian-core']);
    const grant = () => row({ action: 'added_org_admin', actor: CONTRACTOR, time: at(0), context: [userEntry(USER)] });
    await ingestRows(db, enabled, [grant()], hook());
    await ingestRows(db, shippedOnly, [grant()], hook());
    expect((await detectionsOf(db, enabled.id)).map((d) => d.rule_id).sort()).toEqual(['acme-contractor-admin-change', 'admin-access-granted']);
    expect((await detectionsOf(db, shippedOnly.id)).map((d) => d.rule_id)).toEqual(['admin-access-granted']);
  });

  it('keeps an allowlisted actor or network from raising a shipped rule, for every source', async () => {
    const source = await sourceWithPacks(db, ['atlassian-core']);
    const token = (actor: Record<string, unknown>, ip: string, offset: number) => row({ action: 'api_token_created', actor, time: at(offset), location: { ip, countryName: 'Australia' } });
    const byBotEmail = token({ id: 'some-other-id', email: 'Release-Bot@acme.example.com' }, '203.0.113.9', 0);
    const fromCi = token(USER, '192.0.2.77', minutes(1));
    const byAda = token(ADMIN, '203.0.113.9', minutes(2));
    await ingestRows(db, source, [byBotEmail, fromCi, byAda], hook());
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ rule_id: 'api-token-created', event_id: byAda.eventId })]);
    // The same events without the folder's allowlists: each one is a detection (one per actor).
    const unsuppressed = await sourceWithPacks(db, ['atlassian-core']);
    await ingestRows(db, unsuppressed, [byBotEmail, fromCi, byAda].map((r) => ({ ...r })), createDetectionHook({ packs: DETECTION_PACKS }));
    expect(await detectionsOf(db, unsuppressed.id)).toHaveLength(3);
  });

  it('keeps an allowlisted app from raising a shipped rule', async () => {
    const source = await sourceWithPacks(db, ['atlassian-core']);
    const installed = (id: string, name: string, offset: number) => row({ action: 'marketplace_app_installed', time: at(offset), context: [{ id, type: 'apps', attributes: { name } }] });
    const other = installed('app-2', 'Someone Else', minutes(1));
    await ingestRows(db, source, [installed('app-1', 'acme deployer', 0), other], hook());
    expect(await detectionsOf(db, source.id)).toEqual([expect.objectContaining({ rule_id: 'marketplace-app-installed', event_id: other.eventId })]);
  });

  it("keeps the release bot's burst from raising the team's threshold rule", async () => {
    const source = await sourceWithPacks(db, ['acme-example']);
    const rows = [0, 1, 2, 3].map((i) => row({ action: 'api_token_created', actor: RELEASE_BOT, time: at(minutes(i)), location: { ip: '203.0.113.9' } }));
    await ingestRows(db, source, rows, hook());
    expect(await detectionsOf(db, source.id)).toEqual([]);
  });
});
