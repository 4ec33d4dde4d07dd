import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import { createDetectionHook } from '../../detections/engine';
import type { RunningSimulator } from '../../simulator/server';
import { cipher, cliEnvironment, KEY_VAR, openTestDatabase } from '../cli/cli-test-setup';
import { eventually, refusal, runCli, succeeded } from '../cli/run-cli';
import { withWorker } from '../harness/worker';
import { useSimulatorAndDatabase } from '../harness/fixtures';

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
});
