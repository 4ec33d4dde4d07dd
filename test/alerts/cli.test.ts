import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import { cipher, cliEnvironment, KEY_VAR, openTestDatabase } from '../cli/cli-test-setup';
import { refusal, runCli, succeeded } from '../cli/run-cli';
import { withWorker } from '../../harness/worker';
import { eventually } from '../../harness/sources';
import { alertsOf } from './alert-test-kit';
import { WebhookReceiver } from '../../harness/webhook-receiver';

describe('alerting through the operator CLI', () => {
  let db: Database;
  let simulator: RunningSimulator;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    db = openTestDatabase();
    simulator = await startSimulator({ seed: 55, orgs: [{}], history: { count: 20, spanMs: 3600_000 } });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await simulator.close();
    await db.close();
  });

  it('sets the window, the webhook and the alarm of a running source, shows the deadline and lists the alerts', async () => {
    const org = simulator.orgs[0];
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const env = cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: org.keys.valid });
      const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extra } });
      const shortWindows = { AUDIT_ALLOW_SHORT_WINDOWS: '1' };

      succeeded(await cli(['add', 'quiet-org', '--org-id', org.id, '--api-key-env', KEY_VAR, '--interval', '10', '--silence-window', '15m']));
      const source = (await findSourceByName(db, 'quiet-org'))!;
      const shown = await eventually(
        async () => succeeded(await cli(['status', 'quiet-org'])),
        (text) => /^silence deadline:\s+\S+Z \(in 1[45]m \d+s\)$/m.test(text),
        30_000,
      );
      expect(shown).toMatch(/^silence alert:\s+after 15m without events$/m);

      // The user-facing floor holds unless the documented switch lowers it; bad webhooks are refused up front.
      expect(refusal(await cli(['set-silence-window', 'quiet-org', '10s']))).toBe(
        'error: silence window must be between 15m (AUDIT_ALLOW_SHORT_WINDOWS=1 allows down to 1s for tests and demos) and 30d, got 10s',
      );
      expect(refusal(await cli(['set-silence-window', 'quiet-org', '31d']))).toMatch(/between .* and 30d, got 31d$/);
      // A webhook URL is a secret (Slack's carry their token): never in argv, where ps and shell history show it.
      expect(refusal(await cli(['set-alert-webhook', 'quiet-org', `${receiver.url}/cli/secret-token`]))).toBe(
        'error: a webhook URL is a secret and never goes in the command line: pass it with --url-env NAME, --url-file PATH or --url-stdin (or -)',
      );
      expect(refusal(await cli(['set-alert-webhook', 'quiet-org', '--url-env', 'AUDIT_SECRET_QUIET_HOOK', '--url-stdin']))).toMatch(/^error: give the webhook URL once: /);
      expect(refusal(await cli(['set-alert-webhook', 'quiet-org', '--url-env', 'AUDIT_SECRET_QUIET_HOOK'], { AUDIT_SECRET_QUIET_HOOK: 'ftp://example.com/hook' }))).toBe('error: webhook URL must be http(s), got ftp:');
      // The URL's variable obeys the sources-file rule: never one of the product's own secrets.
      expect(refusal(await cli(['set-alert-webhook', 'quiet-org', '--url-env', 'DATABASE_URL']))).toMatch(/^error: --url-env: DATABASE_URL /);
      expect(refusal(await cli(['silence-alert', 'quiet-org', 'maybe']))).toBe('error: say on or off, got "maybe"');

      expect(succeeded(await runCli(['set-alert-webhook', 'quiet-org', '-'], { env, input: `${receiver.url}/cli/secret-token\n` }))).toBe(
        `alerts of quiet-org also go to the webhook at ${receiver.url}/…\n`,
      );
      expect(succeeded(await cli(['set-silence-window', 'quiet-org', '3s'], shortWindows))).toBe('silence window of quiet-org: 15m -> 3s\n');
      expect((await findSourceByName(db, 'quiet-org'))!.silenceWindowSeconds).toBe(3);

      const [alert] = await eventually(() => alertsOf(db, source.id, 'silence'), (a) => a.length === 1, 15_000, 100);
      await eventually(async () => receiver.at('/cli/secret-token').length, (n) => n === 1, 15_000);
      expect(succeeded(await cli(['status', 'quiet-org']))).toMatch(/^silence deadline:\s+passed: the silence alert is open/m);
      const listed = JSON.parse(succeeded(await cli(['alerts', '--json'])));
      expect(listed.find((a: { id: number }) => a.id === alert.id)).toMatchObject({
        source: 'quiet-org',
        kind: 'silence',
        status: 'open',
        deliveries: [{ notice: 'opened', format: 'webhook', status: 'delivered', destination: `${receiver.url}/…` }],
      });
      expect(JSON.stringify(listed)).not.toContain('secret-token');
      expect(succeeded(await cli(['alerts', '--source', 'quiet-org']))).toMatch(new RegExp(`^${alert.id}\\s+\\S+\\s+quiet-org\\s+silence\\s+high\\s+OPEN\\s+delivered\\s+quiet-org: no new audit events for 3s$`, 'm'));

      expect(succeeded(await cli(['silence-alert', 'quiet-org', 'off']))).toBe('silence alarm of quiet-org is off\n');
      expect((await findSourceByName(db, 'quiet-org'))!.silenceAlertEnabled).toBe(false);
      await eventually(() => alertsOf(db, source.id, 'silence'), (a) => a[0].status === 'resolved', 10_000);
      expect(succeeded(await cli(['status', 'quiet-org']))).toMatch(/^silence alert:\s+off$/m);
      const resolved = JSON.parse(succeeded(await cli(['alerts', '--source', 'quiet-org', '--json'])));
      expect(resolved).toMatchObject([{ id: alert.id, status: 'resolved', resolution: 'The silence alarm was switched off.' }]);

      expect(succeeded(await cli(['set-alert-webhook', 'quiet-org', 'off']))).toBe('quiet-org has no webhook of its own any more\n');
      succeeded(await cli(['remove', 'quiet-org', '--purge']));
    });
  });
});
