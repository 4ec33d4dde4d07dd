import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { createActivities } from '../../activities';
import { sourceWorkflowId } from '../../contract/ids';
import { loadDetectionSettings } from '../../detections/store';
import { listSources } from '../../store/sources';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { withWorker } from '../../harness/worker';
import { cipher, cliEnvironment } from './cli-test-setup';
import { refusal, runCli, succeeded } from './run-cli';

describe('grouping periods in a sources file', () => {
  let own: OwnDatabase;
  let simulator: RunningSimulator;
  beforeAll(async () => {
    own = await openOwnDatabase('apply-periods');
    simulator = await startSimulator({ seed: 61, orgs: [{}], history: { count: 5, spanMs: 3_600_000 } });
  });
  afterAll(async () => {
    await simulator?.close();
    await own?.close();
  });

  it('applies detectionGroupPeriods on create and update, exports them, and refuses a bad one naming the field', async () => {
    const [org] = simulator.orgs;
    const folder = mkdtempSync(path.join(os.tmpdir(), 'apply-periods-'));
    const file = path.join(folder, 'sources.yaml');
    const write = (detectionGroupPeriods: Record<string, unknown>) =>
      writeFileSync(file, toYaml({ sources: [{ name: 'alpha', orgId: org.id, apiKey: { env: 'AUDIT_SECRET_KEY_ALPHA' }, detectionPacks: ['atlassian-core'], detectionGroupPeriods }] }));

    await withWorker(createActivities({ db: own.db, cipher }), async ({ client, taskQueue }) => {
      const env = { ...cliEnvironment(taskQueue, simulator.url), DATABASE_URL: own.url, AUDIT_SECRET_KEY_ALPHA: org.keys.valid };
      const cli = (...args: string[]) => runCli(args, { env });
      const periods = async () => (await loadDetectionSettings(own.db, (await listSources(own.db)).find((s) => s.name === 'alpha')!.id)).groupPeriods;

      write({ 'admin-impersonation': '6h' });
      succeeded(await cli('apply', '-f', file));
      expect(await periods()).toEqual({ 'admin-impersonation': 6 * 3600 });
      expect(succeeded(await cli('export'))).toContain('    detectionGroupPeriods:\n      admin-impersonation: 6h\n');

      write({ 'failed-login-burst': '2d' });
      expect(succeeded(await cli('apply', '-f', file))).toContain('~ alpha: grouping periods -> failed-login-burst=2d\n');
      expect(await periods()).toEqual({ 'failed-login-burst': 2 * 86_400 });
      expect(succeeded(await cli('apply', '-f', file))).toContain('= 1 unchanged\n');

      write({ 'no-such-rule': '1h' });
      const unknownRule = refusal(await cli('apply', '-f', file));
      expect(unknownRule).toContain(file);
      expect(unknownRule).toContain('detectionGroupPeriods');
      expect(unknownRule).toContain('no detection rule "no-such-rule"');
      write({ 'admin-impersonation': '10s' });
      expect(refusal(await cli('apply', '-f', file))).toMatch(/detectionGroupPeriods.*admin-impersonation.*a grouping period must be a duration from 1m to 30d \(such as 6h or 2d\); got "10s"/);
      expect(await periods()).toEqual({ 'failed-login-burst': 2 * 86_400 });

      write({});
      expect(succeeded(await cli('apply', '-f', file))).toContain("~ alpha: grouping periods -> the rules' own\n");
      expect(await periods()).toEqual({});
      await client.workflow.getHandle(sourceWorkflowId('alpha')).terminate('test done');
    });
  });
});
