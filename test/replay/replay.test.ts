import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { env, requiredEnv } from '../harness/env';
import { recordedWorkflowIds } from './recorded-source';

const HISTORIES = path.join(__dirname, 'histories');
const files = readdirSync(HISTORIES).filter((file) => file.endsWith('.binpb')).sort();

// Saved histories of real runs (test/replay/record-histories.ts) replayed against the current workflow code: a change
// that would break running workflows on deployment fails here with a nondeterminism error.
describe('replaying saved workflow histories', () => {
  it('has histories of both workflows to replay', () => {
    expect(files.filter((f) => f.startsWith('source-workflow-')).length).toBeGreaterThanOrEqual(2);
    expect(files.filter((f) => f.startsWith('silence-watchdog-')).length).toBeGreaterThanOrEqual(1);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(HISTORIES, file)));
    const workflowId = recordedWorkflowIds[file.replace(/-run-\d+\.binpb$/, '')];
    await Worker.runReplayHistory({ workflowBundle: { codePath: requiredEnv(env.workflowBundle) }, replayName: file }, history, workflowId);
  });
});
