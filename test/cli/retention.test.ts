import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { createActivities } from '../../activities';
import { sourceWorkflowId } from '../../contract/ids';
import { listLegalHolds, listSourceRetention, readDefaultRetentionDays } from '../../store/retention';
import { listSources } from '../../store/sources';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { withWorker } from '../../harness/worker';
import { cipher, cliEnvironment } from './cli-test-setup';
import { refusal, runCli, succeeded } from './run-cli';

// `atlassian-audit retention` and the retention fields of `apply -f`: the CLI writes retention and holds to the
// store directly (maintenance reads them at each run), refuses bad values in one line, and changes nothing then.

describe('retention in the CLI and in sources files', () => {
  let own: OwnDatabase;
  let simulator: RunningSimulator;
  beforeAll(async () => {
    own = await openOwnDatabase('cli_retention');
    simulator = await startSimulator({ seed: 67, orgs: [{}], history: { count: 3, spanMs: 3_600_000 } });
  });
  afterAll(async () => {
    await simulator?.close();
    await own?.close();
  });

  let file: string;
  const write = (fields: Record<string, unknown>) =>
    writeFileSync(file, toYaml({ sources: [{ name: 'kept', orgId: simulator.orgs[0].id, apiKey: { env: 'AUDIT_SECRET_KEY_KEPT' }, ...fields }] }));
  const retentionOf = async () => (await listSourceRetention(own.db, new Date())).find((s) => s.name === 'kept')!;
  /** Commands that need no workflow: retention is the store's, not a source workflow's. */
  const cli = (...args: string[]) => runCli(args, { env: { ...cliEnvironment('no-worker-needed', simulator.url), DATABASE_URL: own.url, AUDIT_SECRET_KEY_KEPT: simulator.orgs[0].keys.valid } });

  it('apply -f places and lifts holds and sets retention; export writes both back', async () => {
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'apply-retention-')), 'sources.yaml');
    await withWorker(createActivities({ db: own.db, cipher }), async ({ client, taskQueue }) => {
      const env = { ...cliEnvironment(taskQueue, simulator.url), DATABASE_URL: own.url, AUDIT_SECRET_KEY_KEPT: simulator.orgs[0].keys.valid };
      const cli = (...args: string[]) => runCli(args, { env });

      write({ retentionDays: 400, legalHold: { reason: 'case 7, asked by legal' } });
      expect(succeeded(await cli('apply', '-f', file))).toContain('+ kept: create (');
      expect(await retentionOf()).toMatchObject({ retentionDays: 400, effectiveDays: 400, cutoff: null, hold: { placedBy: 'apply -f sources.yaml', reason: 'case 7, asked by legal' } });
      const exported = succeeded(await cli('export'));
      expect(exported).toContain('    retentionDays: 400\n');
      expect(exported).toContain('    legalHold:\n      reason: case 7, asked by legal\n');

      // A file that says nothing of the hold leaves it in force; retention absent goes back to the default.
      write({});
      expect(succeeded(await cli('apply', '-f', file))).toContain('~ kept: retention 400 days -> the default\n');
      expect(await retentionOf()).toMatchObject({ retentionDays: null, effectiveDays: 365, hold: { reason: 'case 7, asked by legal' } });
      write({ legalHold: false });
      expect(succeeded(await cli('apply', '-f', file))).toContain('~ kept: legal hold lifted\n');
      expect((await retentionOf()).hold).toBeNull();
      expect(succeeded(await cli('apply', '-f', file))).toContain('= 1 unchanged\n');
      await client.workflow.getHandle(sourceWorkflowId('kept')).terminate('test done');
    });
  });

  it('sets the default and a source override, and places and lifts holds with their record', async () => {
    expect(succeeded(await cli('retention', 'set', '--default', '400', '--by', 'ops'))).toBe('default retention: 365 -> 400 days; the next maintenance run applies it\n');
    expect(await readDefaultRetentionDays(own.db)).toBe(400);
    expect(succeeded(await cli('retention', 'set', '--source', 'kept', '90d'))).toBe('retention of kept: the default -> 90 days; the next maintenance run applies it\n');
    const shown = JSON.parse(succeeded(await cli('retention', 'show', '-o', 'json'))) as { defaultRetentionDays: number; sources: Array<Record<string, unknown>> };
    expect(shown.defaultRetentionDays).toBe(400);
    expect(shown.sources).toEqual([expect.objectContaining({ name: 'kept', retentionDays: 90, effectiveDays: 90, legalHold: null, keepsFrom: expect.stringMatching(/^\d{4}-\d{2}-01T00:00:00Z$/) })]);
    expect(succeeded(await cli('retention', 'set', '--source', 'kept', 'default'))).toContain('90 days -> the default');

    expect(succeeded(await cli('retention', 'hold', 'add', '--source', 'kept', '--reason', 'case 9', '--by', 'counsel@example.com'))).toContain('legal hold placed on kept');
    expect(succeeded(await cli('retention', 'hold', 'add', '--source', 'kept', '--reason', 'again'))).toContain('kept is held already');
    expect(succeeded(await cli('retention', 'show'))).toMatch(/^kept\s+400 days \(default\)\s+everything\s+held since .* by counsel@example.com$/m);
    expect(succeeded(await cli('retention', 'hold', 'remove', '--source', 'kept', '--reason', 'case 9 closed', '--by', 'counsel@example.com'))).toContain('lifted');
    const source = (await listSources(own.db)).find((s) => s.name === 'kept')!;
    expect((await listLegalHolds(own.db, source.id)).map((h) => [h.reason, h.releaseReason])).toEqual([
      ['case 9', 'case 9 closed'],
      ['case 7, asked by legal', 'legalHold: false in sources.yaml'],
    ]);
    expect(succeeded(await cli('retention', 'show', '--source', 'kept'))).toContain('hold placed ');
    expect(succeeded(await cli('retention', 'runs'))).toContain('no maintenance runs yet');
  });

  it('refuses bad values in one line and changes nothing', async () => {
    expect(refusal(await cli('retention', 'set', '--default', '7'))).toBe('error: retention must be a whole number of days from 30 to 3660 (10 years), got 7');
    expect(refusal(await cli('retention', 'set', '--source', 'kept', '1y'))).toContain('retention must be a whole number of days');
    expect(refusal(await cli('retention', 'set', '--source', 'nobody', '100'))).toContain('no source named "nobody"');
    expect(refusal(await cli('retention', 'set', '--default', '100', '--source', 'kept'))).toContain('not both');
    expect(refusal(await cli('retention', 'hold', 'remove', '--source', 'kept', '--reason', 'x'))).toBe('error: kept has no legal hold: nothing changed');
    expect(refusal(await cli('retention', 'hold', 'add', '--source', 'kept', '--reason', 'two\nlines'))).toContain('one line of printable text');
    expect(refusal(await cli('retention', 'hold', 'add', '--source', 'kept', '--reason', 'x'.repeat(501)))).toContain('at most 500 characters');
    expect(refusal(await cli('retention', 'runs', '--limit', '0'))).toContain('--limit must be a number from 1 to 100');
    expect(await readDefaultRetentionDays(own.db)).toBe(400);
    expect((await retentionOf()).hold).toBeNull();
    write({ retentionDays: 10 });
    expect(refusal(await cli('apply', '-f', file))).toMatch(/sources\[0\] \(kept\): retentionDays: retention must be a whole number of days from 30 to 3660/);
    write({ legalHold: { reason: '' } });
    expect(refusal(await cli('apply', '-f', file))).toMatch(/sources\[0\] \(kept\): legalHold\.reason: a legal hold needs a reason/);
    expect((await retentionOf()).retentionDays).toBeNull();
  });
});
