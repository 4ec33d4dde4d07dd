import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database';
import { loadDetectionSettings } from '../../detections/store';
import { atlassianCorePack } from '../../detections/packs/atlassian-core';
import { cliEnvironment, openTestDatabase } from '../cli/cli-test-setup';
import { refusal, runCli, succeeded } from '../cli/run-cli';
import { createTestSource } from '../../harness/sources';

describe('packs enable --group-period', () => {
  let db: Database;
  beforeAll(() => (db = openTestDatabase()));
  afterAll(() => db.close());
  const cli = (...args: string[]) => runCli(args, { env: cliEnvironment('unused-queue', 'http://127.0.0.1:9') });

  it("sets a rule's grouping period for the source, keeps the others, and goes back to the rule's own with default", async () => {
    const source = await createTestSource(db, { organizationId: randomUUID(), apiKey: 'unused', apiBaseUrl: 'http://127.0.0.1:9' });
    expect(succeeded(await cli('packs', 'enable', 'atlassian-core', '--source', source.name, '--group-period', 'admin-impersonation=6h, failed-login-burst=2d'))).toBe(
      `enabled pack atlassian-core (${atlassianCorePack.rules.length} rules) for source ${source.name}; grouping periods: admin-impersonation=6h, failed-login-burst=2d; ` +
        'it evaluates new events (--rescan-days N also evaluates stored ones)\n',
    );
    expect((await loadDetectionSettings(db, source.id)).groupPeriods).toEqual({ 'admin-impersonation': 6 * 3600, 'failed-login-burst': 2 * 86_400 });

    succeeded(await cli('packs', 'enable', 'atlassian-core', '--source', source.name, '--group-period', 'admin-impersonation=default', '--allowed-invite-domains', 'acme.example.com'));
    expect(await loadDetectionSettings(db, source.id)).toEqual({ allowedInviteDomains: ['acme.example.com'], groupPeriods: { 'failed-login-burst': 2 * 86_400 } });
    expect(succeeded(await cli('packs', 'list', '--source', source.name))).toContain(`grouping periods set for ${source.name}: failed-login-burst=2d\n`);
  });

  it('refuses a bad period in one line, before anything is written', async () => {
    const source = await createTestSource(db, { organizationId: randomUUID(), apiKey: 'unused', apiBaseUrl: 'http://127.0.0.1:9' });
    const refused = async (value: string) => refusal(await cli('packs', 'enable', 'atlassian-core', '--source', source.name, '--group-period', value));
    expect(await refused('admin-impersonation=30s')).toBe('error: --group-period of admin-impersonation must be a duration from 1m to 30d (such as 6h or 2d); got "30s"');
    expect(await refused('admin-impersonation=a week')).toBe('error: --group-period of admin-impersonation must be a duration from 1m to 30d (such as 6h or 2d); got "a week"');
    expect(await refused('no-such-rule=1h')).toMatch(/^error: --group-period: pack atlassian-core has no rule "no-such-rule": its rules are admin-impersonation, /);
    expect(await refused('admin-impersonation')).toBe('error: --group-period takes rule=duration pairs such as admin-impersonation=6h, got "admin-impersonation"');
    const { rows } = await db.query('SELECT 1 FROM source_detection_packs WHERE source_id = $1 UNION ALL SELECT 1 FROM source_detection_settings WHERE source_id = $1', [source.id]);
    expect(rows).toEqual([]);
  });
});
