import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createActivities } from '../../activities';
import { createDetectionHook } from '../../detections/engine';
import { newSigningSecret, setSourceDestination } from '../../alerts/destinations';
import { resolveDueAlerts } from '../../alerts/alert-lifecycle';
import { sourceWorkflowId } from '../../contract/ids';
import { pollNowSignal } from '../../contract/source-messages';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import { cipher, cliEnvironment, KEY_VAR } from '../cli/cli-test-setup';
import { refusal, runCli, succeeded } from '../cli/run-cli';
import { createTestSource, eventually, testCipher } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import type { RunningSimulator } from '../../simulator/server';
import { alertOpenAttribute, alertsOf, useAlertFixture } from './alert-test-kit';
import type { WebhookReceiver } from '../../harness/webhook-receiver';

const SECRET_VAR = 'AUDIT_SECRET_TEST_SIGNING_SECRET';

describe('the alert lifecycle through the CLI', () => {
  let db: Database;
  let simulator: RunningSimulator;
  let receiver: WebhookReceiver;
  useAlertFixture({ seed: 57, orgs: [{}], history: { count: 0 } }, (fixture) => ({ simulator, db, receiver } = fixture));

  it('acknowledges and resolves detection alerts, with one signed resolved notice, routed by severity, and AlertOpen follows', async () => {
    const org = simulator.orgs[0];
    const secret = newSigningSecret();
    await withWorker(createActivities({ db, cipher, onEventsInserted: createDetectionHook() }), async ({ client, taskQueue }) => {
      const env = cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: org.keys.valid, [SECRET_VAR]: secret });
      const cli = (...args: string[]) => runCli(args, { env });
      succeeded(await cli('add', 'watched', '--org-id', org.id, '--api-key-env', KEY_VAR, '--detection-packs', 'atlassian-core'));
      const source = (await findSourceByName(db, 'watched'))!;
      const hookPath = `/high-only/${source.id}`;
      const urlFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'hook-url-')), 'url');
      writeFileSync(urlFile, `${receiver.url}${hookPath}\n`, { mode: 0o600 });
      expect(succeeded(await cli('set-alert-webhook', 'watched', '--url-file', urlFile, '--min-severity', 'high', '--signing-secret-env', SECRET_VAR))).toBe(
        `alerts of watched also go to the webhook at ${receiver.url}/… (severity high and above)\n`,
      );

      // One high and one low detection.
      simulator.addEvents(org.id, { events: [{ action: 'user_logged_in_as_user' }, { action: 'api_token_revoked' }] });
      const workflow = client.workflow.getHandle(sourceWorkflowId('watched'));
      await workflow.signal(pollNowSignal);
      const detections = await eventually(() => alertsOf(db, source.id, 'detection'), (alerts) => alerts.length === 2, 30_000, 200);
      const high = detections.find((alert) => alert.severity === 'high')!;
      const low = detections.find((alert) => alert.severity === 'low')!;
      await eventually(() => alertOpenAttribute(workflow), (open) => open === true, 45_000, 250);
      await eventually(async () => receiver.at(hookPath).length, (n) => n === 1, 15_000);
      expect(receiver.at(hookPath)[0].body).toMatchObject({ notice: 'opened', alert: { id: high.id } });

      expect(succeeded(await cli('alerts', 'ack', String(high.id), '--note', 'looking into it', '--by', 'alice'))).toBe(
        `acknowledged alert ${high.id} (detection, watched): ${high.title}\n`,
      );
      expect(succeeded(await cli('alerts', '--source', 'watched'))).toMatch(new RegExp(`^${high.id}\\s.*OPEN, ack by alice`, 'm'));
      expect(refusal(await cli('alerts', 'ack', '999999999'))).toBe('error: no alert has id 999999999');

      expect(succeeded(await cli('alerts', 'resolve', String(high.id), '--reason', 'a planned support session', '--by', 'alice'))).toBe(
        `resolved alert ${high.id} (detection, watched): ${high.title}\n`,
      );
      expect(refusal(await cli('alerts', 'resolve', String(high.id), '--reason', 'again'))).toBe(`error: alert ${high.id} is not open`);
      expect(succeeded(await cli('alerts', 'resolve', '--rule', 'api-token-revoked', '--source', 'watched', '--reason', 'housekeeping'))).toBe(
        `resolved alert ${low.id} (detection, watched): ${low.title}\n`,
      );
      await eventually(() => alertOpenAttribute(workflow), (open) => open === false, 15_000, 250);

      // Exactly one resolved notice, for the high alert only, whose signature verifies.
      const resolvedNotices = await eventually(async () => receiver.at(hookPath).filter((notice) => notice.body.notice === 'resolved'), (n) => n.length === 1, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(receiver.at(hookPath).filter((notice) => notice.body.notice === 'resolved')).toHaveLength(1);
      const [resolved] = resolvedNotices;
      expect(new Webhook(secret).verify(resolved.raw, resolved.headers as Record<string, string>)).toMatchObject({
        notice: 'resolved',
        alert: { id: high.id, status: 'resolved', resolution: 'a planned support session' },
      });
      const [stored] = await alertsOf(db, source.id, 'detection').then((alerts) => alerts.filter((alert) => alert.id === high.id));
      expect(stored).toMatchObject({ status: 'resolved', resolution: 'a planned support session' });
      await workflow.terminate('test done');
    });
  });

  it('refuses to resolve a silence or credentials alert by hand while its cause persists', async () => {
    const org = simulator.orgs[0];
    await withWorker(createActivities({ db, cipher }), async ({ client, taskQueue }) => {
      const env = cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: org.keys.valid, AUDIT_ALLOW_SHORT_WINDOWS: '1' });
      const cli = (...args: string[]) => runCli(args, { env });
      succeeded(await cli('add', 'quiet', '--org-id', org.id, '--api-key-env', KEY_VAR, '--silence-window', '2s'));
      const source = (await findSourceByName(db, 'quiet'))!;
      const [silence] = await eventually(() => alertsOf(db, source.id, 'silence'), (alerts) => alerts.length === 1, 20_000, 200);
      expect(refusal(await cli('alerts', 'resolve', String(silence.id), '--reason', 'nothing to see'))).toBe(
        `error: not resolved, its cause persists: alert ${silence.id} (silence, quiet): ${silence.title} (no event was stored since it opened; it resolves itself when events flow again)`,
      );
      expect((await alertsOf(db, source.id, 'silence'))[0].status).toBe('open');
      await client.workflow.getHandle(sourceWorkflowId('quiet')).terminate('test done');
      await client.workflow.getHandle(`${sourceWorkflowId('quiet')}-silence-watchdog`).terminate('test done');
    });
  });

  it('resolves an alert whose rule resolves it after a period, with its resolved notice queued', async () => {
    const { id: sourceId } = await createTestSource(db, { organizationId: simulator.orgs[0].id, apiKey: 'unused', apiBaseUrl: 'http://127.0.0.1:9' });
    await setSourceDestination(db.pool, testCipher, sourceId, 'webhook', 'http://127.0.0.1:9/hook');
    const { rows: alerts } = await db.query<{ id: string; due: boolean }>(
      `INSERT INTO alerts (source_id, kind, dedup_key, severity, title, message, auto_resolve_at)
       VALUES ($1, 'detection', 'a', 'low', 'due', 'm', now() - interval '1 second'), ($1, 'detection', 'b', 'low', 'not due', 'm', now() + interval '1 day')
       RETURNING id, auto_resolve_at < now() AS due`,
      [sourceId],
    );
    expect(await resolveDueAlerts(db)).toMatchObject({ resolved: expect.any(Number) });
    const after = await alertsOf(db, sourceId, 'detection');
    const due = alerts.find((alert) => alert.due)!;
    expect(after.find((alert) => alert.id === Number(due.id))).toMatchObject({ status: 'resolved' });
    expect(after.find((alert) => alert.id !== Number(due.id))).toMatchObject({ status: 'open' });
    const { rows: notices } = await db.query('SELECT notice FROM alert_deliveries WHERE alert_id = $1', [due.id]);
    expect(notices).toEqual([{ notice: 'resolved' }]);
  });
});
