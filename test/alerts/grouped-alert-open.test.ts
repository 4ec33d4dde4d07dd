import { createActivities } from '../../activities';
import { createDetectionHook } from '../../detections/engine';
import { sourceWorkflowId } from '../../contract/ids';
import { pollNowSignal } from '../../contract/source-messages';
import type { EventOverrides } from '../../simulator/generator';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import { cipher, cliEnvironment, KEY_VAR } from '../cli/cli-test-setup';
import { runCli, succeeded } from '../cli/run-cli';
import { eventually } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import type { RunningSimulator } from '../../simulator/server';
import { alertOpenAttribute, alertsOf, useAlertFixture } from './alert-test-kit';

const ADMIN = { id: '557058:00000000-0000-4000-8000-000000000001', name: 'Ada Admin', email: 'ada@acme.example.com' };
const victim = (n: number) => ({ id: `victim-${n}`, type: 'users', attributes: { name: `Victim ${n}`, email: `victim${n}@acme.example.com` } });
/** An admin logging in as a user, `minutesAgo` before now: hours apart, past the rule's one-hour dedup period. */
const impersonation = (n: number, minutesAgo: number): EventOverrides => ({
  action: 'user_logged_in_as_user',
  actor: ADMIN,
  context: [victim(n)],
  time: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
});

describe('a grouped detection alert and the AlertOpen search attribute', () => {
  let db: Database;
  let simulator: RunningSimulator;
  useAlertFixture({ seed: 67, orgs: [{}], history: { count: 0 } }, (fixture) => ({ simulator, db } = fixture));

  it('stays one open alert while detections join it, closes its group when resolved, and AlertOpen follows', async () => {
    const org = simulator.orgs[0];
    await withWorker(createActivities({ db, cipher, onEventsInserted: createDetectionHook() }), async ({ client, taskQueue }) => {
      const env = cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: org.keys.valid });
      const cli = (...args: string[]) => runCli(args, { env });
      succeeded(await cli('add', 'grouped', '--org-id', org.id, '--api-key-env', KEY_VAR, '--detection-packs', 'atlassian-core'));
      const source = (await findSourceByName(db, 'grouped'))!;
      const workflow = client.workflow.getHandle(sourceWorkflowId('grouped'));
      const detectionAlerts = () => alertsOf(db, source.id, 'detection');

      simulator.addEvents(org.id, { events: [impersonation(1, 300)] });
      await workflow.signal(pollNowSignal);
      const [first] = await eventually(detectionAlerts, (alerts) => alerts.length === 1, 30_000, 200);
      await eventually(() => alertOpenAttribute(workflow), (open) => open === true, 45_000, 250);

      // Same admin, another user, two hours later: it joins the open alert.
      simulator.addEvents(org.id, { events: [impersonation(2, 180)] });
      await workflow.signal(pollNowSignal);
      await eventually(
        async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM detections WHERE source_id = $1', [source.id])).rows[0].n,
        (n) => n === 2,
        30_000,
        200,
      );
      expect(await detectionAlerts()).toHaveLength(1);
      expect(succeeded(await cli('alerts', '--source', 'grouped'))).toMatch(new RegExp(`^${first.id}\\s.*OPEN\\s.*\\b2, events `, 'm'));
      const [listed] = JSON.parse(succeeded(await cli('alerts', '--source', 'grouped', '-o', 'json')));
      expect(listed.group).toMatchObject({ detections: 2, detectionIds: [expect.any(Number), expect.any(Number)] });

      succeeded(await cli('alerts', 'resolve', String(first.id), '--reason', 'planned support sessions'));
      await eventually(() => alertOpenAttribute(workflow), (open) => open === false, 45_000, 250);

      // The group closed with its alert: the next detection of the same admin opens a new one, and AlertOpen is true again.
      simulator.addEvents(org.id, { events: [impersonation(3, 60)] });
      await workflow.signal(pollNowSignal);
      const alerts = await eventually(detectionAlerts, (all) => all.length === 2, 30_000, 200);
      expect(alerts.map((alert) => alert.status)).toEqual(['resolved', 'open']);
      await eventually(() => alertOpenAttribute(workflow), (open) => open === true, 45_000, 250);
      await workflow.terminate('test done');
    });
  });
});
