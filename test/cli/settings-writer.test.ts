import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createActivities } from '../../activities';
import { setSilenceAlarmUpdate } from '../../contract/alert-messages';
import { formatDuration } from '../../contract/durations';
import { sourceWorkflowId } from '../../contract/ids';
import { MIN_SILENCE_WINDOW_SECONDS, silenceWindowProblem } from '../../contract/settings';
import { statusQuery } from '../../contract/source-messages';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import type { RunningSimulator } from '../../simulator/server';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import { watchdogView } from '../alerts/alert-test-kit';
import { useSimulatorAndDatabase } from '../../harness/fixtures';
import { eventually } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { cipher, cliEnvironment, KEY_VAR, openTestDatabase } from './cli-test-setup';
import { refusal, runCli, succeeded } from './run-cli';

describe("a running source's settings have one writer, its workflow", () => {
  let db: Database;
  let simulator: RunningSimulator;
  useSimulatorAndDatabase({ seed: 47, orgs: [{}], history: { count: 30, spanMs: 3_600_000 } }, (fixture) => ({ simulator, db } = fixture), openTestDatabase);

  it('stores what the CLI sets through the workflow, and a restarted workflow reads the same settings back', async () => {
    const org = simulator.orgs[0];
    await withWorker(createActivities({ db, cipher }), async ({ client, taskQueue }) => {
      const cli = async (...args: string[]) => runCli(args, { env: cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: org.keys.valid }) });
      succeeded(await cli('add', 'steady', '--org-id', org.id, '--api-key-env', KEY_VAR, '--interval', '60', '--silence-window', '1h'));
      const stored = async () => (await findSourceByName(db, 'steady'))!;
      let handle = client.workflow.getHandle(sourceWorkflowId('steady'));
      await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');

      expect(succeeded(await cli('set-silence-window', 'steady', '20m'))).toBe('silence window of steady: 1h -> 20m\n');
      expect((await stored()).silenceWindowSeconds).toBe(1200);
      expect((await watchdogView(client, 'steady')).windowSeconds).toBe(1200);

      expect(succeeded(await cli('set-interval', 'steady', '30'))).toBe('interval of steady: 60 s -> 30 s\n');
      expect((await stored()).pollIntervalSeconds).toBe(30);
      expect((await handle.query(statusQuery)).pollIntervalSeconds).toBe(30);

      expect(succeeded(await cli('silence-alert', 'steady', 'off'))).toBe('silence alarm of steady is off\n');
      expect((await stored()).silenceAlertEnabled).toBe(false);

      // A new workflow for the same source starts from PostgreSQL only: the settings come back as they were set.
      await handle.terminate('the test restarts the source');
      handle = await startSourceWorkflow(client, await stored(), taskQueue);
      expect(await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting')).toMatchObject({ pollIntervalSeconds: 30 });
      expect(succeeded(await cli('silence-alert', 'steady', 'on'))).toBe('silence alarm of steady is on: alert after 20m without new events\n');
      expect((await watchdogView(client, 'steady')).windowSeconds).toBe(1200);

      // The floor lives in one place: the CLI and the workflow's validator refuse the same window in the same words.
      const belowFloor = MIN_SILENCE_WINDOW_SECONDS - 60;
      const problem = silenceWindowProblem(belowFloor)!;
      expect(refusal(await cli('set-silence-window', 'steady', formatDuration(belowFloor)))).toBe(`error: ${problem}`);
      const refused = await handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ windowSeconds: belowFloor }] }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause?.message).toBe(problem);
      expect((await stored()).silenceWindowSeconds).toBe(1200);
      await handle.terminate('test done');
    });
  });
});
