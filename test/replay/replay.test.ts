import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { env, requiredEnv } from '../../harness/env';
import { currentRelease, previousRelease } from '../../harness/releases';
import { recordedWorkflowIds } from './recorded-source';

// One folder per supported release (test/replay/record-histories.ts, run when the release is cut, by its own code):
// the runs that release's workers leave in flight, which the current code takes over on upgrade.
const HISTORIES = path.join(__dirname, 'histories');
const files = readdirSync(HISTORIES, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.binpb'))
  .sort();
const workflowTypes = Object.keys(recordedWorkflowIds);
const folders = readdirSync(HISTORIES);
const typesIn = (release: string) => workflowTypes.filter((type) => readdirSync(path.join(HISTORIES, release)).some((file) => file.startsWith(`${type}-run-`)));

// Saved histories of real runs replayed against the current workflow code: a change that would break running
// workflows on deployment fails here with a nondeterminism error.
describe('replaying saved workflow histories', () => {
  // The current release's folder is recorded when the release is cut; the previous release's must be there, and a
  // release no longer supported goes with the patches it needed.
  const supported = [previousRelease().name, currentRelease()];
  it(`keeps histories of the supported releases only (${supported.join(', ')}), the previous one's included`, () => {
    expect(folders).toContain(supported[0]);
    expect(folders.filter((folder) => !supported.includes(folder))).toEqual([]);
  });

  it('has histories of every workflow type in each release folder', () => {
    for (const release of folders) expect({ release, types: typesIn(release) }).toEqual({ release, types: workflowTypes });
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(HISTORIES, file)));
    const workflowId = recordedWorkflowIds[path.basename(file).replace(/-run-\d+\.binpb$/, '')];
    await Worker.runReplayHistory({ workflowBundle: { codePath: requiredEnv(env.workflowBundle) }, replayName: file }, history, workflowId);
  });
});
