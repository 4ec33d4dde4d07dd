import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { createActivities } from '../../activities';
import { listSourceDestinations } from '../../alerts/destinations';
import { sourceWorkflowId } from '../../contract/ids';
import { statusQuery } from '../../contract/source-messages';
import { listEnabledPacks } from '../../detections/store';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import { listSources } from '../../store/sources';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { eventually } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { cipher, cliEnvironment } from './cli-test-setup';
import { refusal, runCli, succeeded } from './run-cli';

describe('sources as a file: apply and export', () => {
  let own: OwnDatabase;
  let simulator: RunningSimulator;
  beforeAll(async () => {
    own = await openOwnDatabase('apply');
    simulator = await startSimulator({ seed: 59, orgs: [{}, {}], history: { count: 20, spanMs: 3_600_000 } });
  });
  afterAll(async () => {
    await simulator?.close();
    await own?.close();
  });

  it('creates, updates and prunes what a file declares; a dry run or an invalid file changes nothing; export then apply is a no-op', async () => {
    const [first, second] = simulator.orgs;
    const folder = mkdtempSync(path.join(os.tmpdir(), 'apply-test-'));
    const file = path.join(folder, 'sources.yaml');
    const write = (sources: unknown[]) => writeFileSync(file, toYaml({ sources }));
    const alpha = (interval: number | string) => ({
      name: 'alpha',
      orgId: first.id,
      apiKey: { env: 'AUDIT_SECRET_KEY_ALPHA' },
      interval,
      detectionPacks: ['atlassian-core'],
      webhooks: [{ url: { env: 'AUDIT_SECRET_ALPHA_HOOK_URL' }, minSeverity: 'high', kinds: ['silence', 'detection'], signingSecret: { env: 'AUDIT_SECRET_ALPHA_HOOK' } }],
    });
    const beta = { name: 'beta', orgId: second.id, apiKey: { env: 'AUDIT_SECRET_KEY_BETA' }, interval: 120, silenceWindow: '2h' };
    const gamma = { name: 'gamma', orgId: second.id, apiKey: { file: 'gamma.key' }, interval: '5m', silenceAlert: false };
    writeFileSync(path.join(folder, 'gamma.key'), `${second.keys.valid}\n`);

    await withWorker(createActivities({ db: own.db, cipher }), async ({ client, taskQueue }) => {
      const env = {
        ...cliEnvironment(taskQueue, simulator.url),
        DATABASE_URL: own.url,
        AUDIT_SECRET_KEY_ALPHA: first.keys.valid,
        AUDIT_SECRET_KEY_BETA: second.keys.valid,
        AUDIT_SECRET_ALPHA_HOOK: `whsec_${Buffer.alloc(24, 7).toString('base64')}`,
        AUDIT_SECRET_ALPHA_HOOK_URL: 'http://127.0.0.1:9/alpha-hook-token',
      };
      const cli = (...args: string[]) => runCli(args, { env });
      const names = async () => (await listSources(own.db)).filter((s) => s.status !== 'removed').map((s) => s.name).sort();

      write([alpha(60), beta]);
      expect(succeeded(await cli('apply', '-f', file, '--dry-run'))).toBe(
        `+ alpha: create (organization ${first.id}, every 60 s, silence alert after 1d, packs atlassian-core, webhook destination)\n` +
          `+ beta: create (organization ${second.id}, every 120 s, silence alert after 2h)\n` +
          'dry run: nothing changed\n',
      );
      expect(await names()).toEqual([]);

      expect(succeeded(await cli('apply', '-f', file))).toMatch(/\napplied: 2 created, 0 updated, 0 removed, 0 unchanged\n$/);
      expect(await names()).toEqual(['alpha', 'beta']);
      const [storedAlpha] = (await listSources(own.db)).filter((s) => s.name === 'alpha');
      expect((await listEnabledPacks(own.db)).map((p) => [p.sourceName, p.packId])).toEqual([['alpha', 'atlassian-core']]);
      expect(await listSourceDestinations(own.db.pool)).toMatchObject([
        { sourceId: storedAlpha.id, format: 'webhook', url: null, sealedUrl: expect.any(Buffer), shownUrl: 'http://127.0.0.1:9/…', kinds: ['detection', 'silence'], minSeverity: 'high', sealedSigningSecret: expect.any(Buffer) },
      ]);
      const alphaWorkflow = client.workflow.getHandle(sourceWorkflowId('alpha'));
      await eventually(() => alphaWorkflow.query(statusQuery), (s) => s.phase === 'waiting');

      // alpha re-timed through its workflow, gamma new, beta no longer declared.
      write([alpha('5m'), gamma]);
      const second_ = succeeded(await cli('apply', '-f', file));
      expect(second_).toContain('~ alpha: interval 60 s -> 300 s\n');
      expect(second_).toContain(`+ gamma: create (organization ${second.id}, every 300 s, no silence alert)\n`);
      expect(second_).toContain('- beta: not in the file; `apply --prune` removes it\n');
      expect(second_).toMatch(/applied: 1 created, 1 updated, 0 removed, 0 unchanged\n$/);
      expect((await listSources(own.db)).find((s) => s.name === 'alpha')!.pollIntervalSeconds).toBe(300);
      expect((await alphaWorkflow.query(statusQuery)).pollIntervalSeconds).toBe(300);
      expect(await names()).toEqual(['alpha', 'beta', 'gamma']);

      expect(succeeded(await cli('apply', '-f', file, '--prune'))).toMatch(/- beta: remove \(its events stay\)\n= 2 unchanged\napplied: 0 created, 0 updated, 1 removed, 2 unchanged\n$/);
      expect(await names()).toEqual(['alpha', 'gamma']);

      // One bad field anywhere: nothing is applied, and the message says where.
      write([alpha(60), { ...gamma, interval: 5 }, { ...beta, name: 'delta' }]);
      expect(refusal(await cli('apply', '-f', file))).toBe(`error: ${file}: sources[1] (gamma): interval: interval must be between 10 s and 86400 s (24 h), got 5 s`);
      write([alpha(60), { ...gamma, apiKey: 'the-key-itself' }]);
      expect(refusal(await cli('apply', '-f', file))).toBe(`error: ${file}: sources[1] (gamma): apiKey: give { env: VARIABLE } or { file: path }, never the secret itself`);
      // A webhook URL is a secret too: a file names where to read it, as export writes it.
      write([{ ...alpha(60), webhooks: [{ url: 'https://hooks.example/services/T0/B0/token' }] }]);
      expect(refusal(await cli('apply', '-f', file))).toBe(`error: ${file}: sources[0] (alpha): webhooks[0].url: give { env: VARIABLE } or { file: path }, never the secret itself`);
      expect(await names()).toEqual(['alpha', 'gamma']);
      expect((await listSources(own.db)).find((s) => s.name === 'alpha')!.pollIntervalSeconds).toBe(300);

      // What export writes applies as is: nothing to do, even without the keys at hand.
      const exported = path.join(folder, 'exported.yaml');
      writeFileSync(exported, succeeded(await cli('export')));
      const noKeys = { ...env, AUDIT_SECRET_KEY_ALPHA: undefined, AUDIT_SECRET_ALPHA_HOOK: undefined, AUDIT_SECRET_ALPHA_HOOK_URL: undefined };
      const again = await runCli(['apply', '-f', exported], { env: noKeys });
      expect(succeeded(again)).toBe('= 2 unchanged\napplied: 0 created, 0 updated, 0 removed, 2 unchanged\n');
      expect(again.stderr).toContain('note: alpha: environment variable AUDIT_SECRET_ALPHA_API_KEY is not set; the stored key stays');
      expect(succeeded(await cli('export'))).not.toContain(first.keys.valid);
      expect(readFileSync(exported, 'utf8')).not.toContain('alpha-hook-token');
      expect(readFileSync(exported, 'utf8')).toContain('url:\n          env: AUDIT_SECRET_ALPHA_WEBHOOK_URL\n');

      // As JSON: the file export writes, and the plan and outcome apply prints, each one document on stdout.
      const exportedJson = JSON.parse(succeeded(await cli('export', '-o', 'json')));
      expect(exportedJson.sources.map((source: { name: string; interval: unknown }) => [source.name, source.interval])).toEqual([['alpha', '5m'], ['gamma', '5m']]);
      write([alpha('10m'), gamma]);
      expect(JSON.parse(succeeded(await cli('apply', '-f', file, '--dry-run', '-o', 'json')))).toEqual({
        action: 'apply',
        create: [],
        update: [{ name: 'alpha', changes: ['interval 300 s -> 600 s'] }],
        absent: [],
        unchanged: 1,
        dryRun: true,
        applied: null,
      });
      expect(JSON.parse(succeeded(await runCli(['apply', '-f', exported, '--json'], { env: noKeys })))).toMatchObject({
        update: [],
        unchanged: 2,
        dryRun: false,
        applied: { created: 0, updated: 0, removed: 0, unchanged: 2 },
      });

      for (const name of ['alpha', 'gamma']) await client.workflow.getHandle(sourceWorkflowId(name)).terminate('test done');
    });
  });
});
