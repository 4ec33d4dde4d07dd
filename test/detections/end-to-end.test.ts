import type { Database } from '../../store/database';
import type { SourceRecord } from '../../store/sources';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import type { EventOverrides } from '../../simulator/generator';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { cliEnvironment } from '../cli/cli-test-setup';
import { runCli, succeeded } from '../cli/run-cli';
import { countEvents, createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { detectionsOf } from './detection-harness';

const ORG_DOMAIN = 'acme-corporation.example.com';
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const DAY = 24 * 3600_000;

function person(n: number) {
  return { id: `557058:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, name: `Person ${n}`, email: `person${n}@${ORG_DOMAIN}` };
}
const actor = (n: number) => person(n);
const user = (n: number) => ({ id: person(n).id, type: 'users', attributes: { name: person(n).name, email: person(n).email } });
const group = (id: string, name: string) => ({ id, type: 'groups', attributes: { name } });
const located = (ip: string, countryName: string) => ({ ip, countryName, geo: countryName });
const impersonation = (admin: number, victim: number, msAgo: number): EventOverrides => ({
  action: 'user_logged_in_as_user',
  actor: actor(admin),
  context: [user(victim)],
  time: iso(msAgo),
});

/** Each risky action once (admin access three ways), and look-alikes that must stay quiet. */
function riskyScenario(): { events: EventOverrides[]; expected: Record<string, number> } {
  const at = (i: number) => iso(10 * 60_000 - i * 1000);
  const risky: EventOverrides[] = [
    impersonation(1, 10, 30 * 60_000),
    { action: 'twosv_disabled_for_user', actor: actor(1), context: [user(11)], time: at(1) },
    { action: 'added_org_admin', actor: actor(1), context: [user(12)], time: at(2) },
    { action: 'group_granted_admin_access', actor: actor(1), context: [group('g-contractors', 'contractors')], time: at(3) },
    { action: 'user_granted_role', actor: actor(1), context: [user(13), { id: 'r1', type: 'roles', attributes: { role: 'admin' } }], time: at(4) },
    { action: 'group_member_added', actor: actor(1), context: [user(14), group('g-site-admins', 'site-admins')], time: at(5) },
    { action: 'api_token_created', actor: actor(15), context: [{ id: 't1', type: 'api-tokens', attributes: { tokenLabel: 'ci' } }], time: at(6) },
    { action: 'api_token_revoked', actor: actor(16), context: [{ id: 't2', type: 'api-tokens' }], time: at(7) },
    { action: 'org_settings_update', actor: actor(1), context: [], container: [{ id: 'p1', type: 'AuthenticationPolicy', attributes: { setting: 'enforceTwoStep' } }], time: at(8) },
    { action: 'data_classification_policy_update', actor: actor(1), context: [], time: at(9) },
    { action: 'marketplace_app_installed', actor: actor(1), context: [{ id: 'app-1', type: 'apps', attributes: { name: 'Gliffy' } }], time: at(10) },
    ...[0, 1, 2, 3, 4].map((i): EventOverrides => ({ action: 'user_login_failed', actor: { id: person(17).id }, location: located('198.18.0.7', 'Australia'), time: at(11 + i) })),
    { action: 'user_login', actor: actor(18), location: located('198.18.0.9', 'Iceland'), time: at(16) },
    { action: 'user_invitation_sent', actor: actor(1), context: [{ id: 'i1', type: 'invited-user', attributes: { email: 'mallory@evil.example.net' } }], time: at(17) },
  ];
  const quiet: EventOverrides[] = [
    { action: 'user_login', actor: actor(19), location: located('198.18.0.10', 'Australia'), time: at(18) },
    { action: 'user_invitation_sent', actor: actor(1), context: [{ id: 'i2', type: 'invited-user', attributes: { email: `new.hire@${ORG_DOMAIN}` } }], time: at(19) },
    { action: 'user_granted_role', actor: actor(1), context: [user(20), { id: 'r2', type: 'roles', attributes: { role: 'user' } }], time: at(20) },
    { action: 'org_settings_update', actor: actor(1), context: [], container: [{ id: 'o1', type: 'orgs', attributes: { name: 'Acme' } }], time: at(21) },
    { action: 'group_member_added', actor: actor(1), context: [user(21), group('g-eng', 'engineering')], time: at(22) },
    ...[0, 1, 2].map((i): EventOverrides => ({ action: 'user_login_failed', actor: { id: person(22).id }, location: located('198.18.0.8', 'Australia'), time: at(23 + i) })),
    { action: 'jira_issue_viewed', actor: actor(23), location: located('198.18.0.11', 'Australia'), time: at(26) },
  ];
  const expected = {
    'admin-impersonation': 1,
    'two-step-disabled': 1,
    'admin-access-granted': 3,
    'admin-group-member-added': 1,
    'api-token-created': 1,
    'api-token-revoked': 1,
    'authentication-policy-changed': 1,
    'security-policy-changed': 1,
    'marketplace-app-installed': 1,
    'failed-login-burst': 1,
    'login-from-new-country': 1,
    'external-invitation': 1,
  };
  return { events: [...risky, ...quiet], expected };
}

const tally = (rows: Array<{ rule_id: string }>) => rows.reduce<Record<string, number>>((t, r) => ({ ...t, [r.rule_id]: (t[r.rule_id] ?? 0) + 1 }), {});

describe('detections end to end: simulator, source workflow, PostgreSQL, CLI', () => {
  let db: Database;
  let simulator: RunningSimulator;
  beforeAll(async () => {
    db = openTestDatabase();
    simulator = await startSimulator({ seed: 23, orgs: [{}], history: { count: 0 } });
  });
  afterAll(async () => {
    await simulator.close();
    await db.close();
  });

  it('raises each expected detection once, also when the page is fetched again; packs turn on, off and rescan', async () => {
    const org = simulator.orgs[0];
    const source: SourceRecord = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, backfillDays: 7 });
    let stored = 0;
    const add = (events: EventOverrides[]) => {
      stored += events.length;
      return simulator.addEvents(org.id, { events });
    };

    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const cli = async (...args: string[]) => succeeded(await runCli(args, { env: cliEnvironment(taskQueue, simulator.url) }));
      const handle = await startSourceWorkflow(client, source, taskQueue);
      const poll = async () => {
        const before = (await handle.query(statusQuery)).lastPoll?.at;
        await handle.signal(pollNowSignal);
        const status = await eventually(() => handle.query(statusQuery), (s) => s.lastPoll?.at !== before && s.phase === 'waiting');
        expect(await countEvents(db, source.id)).toBe(stored);
        return status.lastPoll!;
      };
      await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting');

      // Without packs nothing is evaluated; this history is also the new-country rule's baseline (Australia).
      const [oldImpersonation] = add([impersonation(2, 30, 2 * DAY), { action: 'jira_issue_viewed', actor: actor(24), location: located('198.18.0.12', 'Australia'), time: iso(2 * DAY) }]);
      await poll();
      expect(await detectionsOf(db, source.id)).toEqual([]);

      expect(await cli('packs', 'enable', 'atlassian-core', '--source', source.name, '--allowed-invite-domains', ORG_DOMAIN)).toContain(
        `enabled pack atlassian-core (19 rules) for source ${source.name}; allowed invitation domains: ${ORG_DOMAIN}; it evaluates new events`,
      );
      const scenario = riskyScenario();
      add(scenario.events);
      await poll();
      const raised = await detectionsOf(db, source.id);
      expect(tally(raised)).toEqual(scenario.expected);
      const { rows: alerts } = await db.query<{ id: string; details: { ruleId: string; eventIds: string[] } }>(
        `SELECT id, details FROM alerts WHERE source_id = $1 AND kind = 'detection'`,
        [source.id],
      );
      // One alert per rule and subject: the three admin grants of one admin join one alert.
      expect(tally(alerts.map((a) => ({ rule_id: a.details.ruleId })))).toEqual({ ...scenario.expected, 'admin-access-granted': 1 });
      expect(new Set(raised.map((d) => d.alert_id))).toEqual(new Set(alerts.map((a) => a.id)));

      // The page holding them, fetched again from before its first event: stored once, evaluated once.
      await db.query(`UPDATE checkpoints SET cursor = NULL, newest_processed_at = newest_processed_at - interval '1 minute' WHERE source_id = $1`, [source.id]);
      const refetched = await poll();
      expect(refetched).toMatchObject({ outcome: 'ok', inserted: 0 });
      expect(refetched.fetched).toBeGreaterThanOrEqual(scenario.events.length);
      expect(await detectionsOf(db, source.id)).toEqual(raised);

      // Disabled: a new impersonation is stored but raises nothing.
      expect(await cli('packs', 'disable', 'atlassian-core', '--source', source.name)).toContain('disabled pack atlassian-core');
      const [whileDisabled] = add([impersonation(3, 31, 60_000)]);
      await poll();
      expect(await detectionsOf(db, source.id)).toHaveLength(raised.length);

      // Enabled again: only events stored from now on are evaluated.
      await cli('packs', 'enable', 'atlassian-core', '--source', source.name);
      const [afterEnable] = add([impersonation(4, 32, 30_000)]);
      await poll();
      const afterEnabling = (await detectionsOf(db, source.id)).slice(raised.length);
      expect(afterEnabling.map((d) => d.event_id)).toEqual([afterEnable]);

      // A rescan of the last day picks up the event stored while disabled, and nothing older or already raised.
      expect(await cli('packs', 'enable', 'atlassian-core', '--source', source.name, '--rescan-days', '1')).toMatch(
        /^pack atlassian-core was already enabled for source \S+; rescanned \d+ stored events of the last 1 days: 1 new detections, 1 new alerts \(the others joined open ones\)$/m,
      );
      const all = await detectionsOf(db, source.id);
      expect(all.map((d) => d.event_id)).toContain(whileDisabled);
      expect(all.map((d) => d.event_id)).not.toContain(oldImpersonation);
      expect(all).toHaveLength(raised.length + 2);

      const listed = JSON.parse(await cli('detections', '--source', source.name, '--json')) as Array<{ ruleId: string; sourceName: string; eventIds: string[] }>;
      expect(listed).toHaveLength(all.length);
      expect(listed.filter((d) => d.ruleId === 'failed-login-burst')[0].eventIds).toHaveLength(5);
      const table = await cli('detections', '--source', source.name, '--rule', 'external-invitation');
      expect(table).toMatch(/^DETECTED\s+EVENT TIME\s+SOURCE\s+SEVERITY\s+RULE\s+TITLE$/m);
      expect(table).toContain('Person 1 invited mallory@evil.example.net, outside the allowed domains');
      const packs = JSON.parse(await cli('packs', 'list', '--source', source.name, '--json'));
      expect(packs).toMatchObject({ source: source.name, settings: { allowedInviteDomains: [ORG_DOMAIN] }, packs: [{ id: 'atlassian-core', enabledFor: [{ source: source.name }] }] });
      await handle.terminate('test done');
    });
  });
});
