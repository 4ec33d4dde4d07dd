import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { env, requiredEnv } from '../../harness/env';
import { recordedWorkflowIds } from './recorded-source';

// One folder per recording: each deliberate change of workflow code records a new one and keeps the older ones,
// which stand for the runs in flight when the change is deployed.
const HISTORIES = path.join(__dirname, 'histories');
const files = readdirSync(HISTORIES, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.binpb'))
  .sort();

// Saved histories of real runs (test/replay/record-histories.ts) replayed against the current workflow code: a change
// that would break running workflows on deployment fails here with a nondeterminism error.
describe('replaying saved workflow histories', () => {
  it('has histories of every workflow to replay', () => {
    const named = (prefix: string) => files.filter((f) => path.basename(f).startsWith(`${prefix}-`)).length;
    expect(named('source-workflow')).toBeGreaterThanOrEqual(2);
    expect(named('silence-watchdog')).toBeGreaterThanOrEqual(1);
    expect(named('alert-dispatcher')).toBeGreaterThanOrEqual(1);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(HISTORIES, file)));
    const workflowId = recordedWorkflowIds[path.basename(file).replace(/-run-\d+\.binpb$/, '')];
    await Worker.runReplayHistory({ workflowBundle: { codePath: requiredEnv(env.workflowBundle) }, replayName: file }, history, workflowId);
  });
});
