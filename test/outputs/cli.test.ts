import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findOutputByName } from '../../store/outputs';
import { outputSecretContext } from '../../store/credentials';
import { HttpReceiver } from '../../harness/http-receiver';
import { withWorker } from '../../harness/worker';
import { cipher, cliEnvironment, openTestDatabase } from '../cli/cli-test-setup';
import { eventually, exitedWith, refusal, runCli, succeeded } from '../cli/run-cli';
import { createIdleSource } from '../../harness/sources';
import { storeEvents } from './stored-rows';
import { firstArrivals, positionOf } from './output-kit';

const URL_VAR = 'AUDIT_SECRET_WEB_URL';

describe('atlassian-audit outputs', () => {
  let db: Database;
  let receiver: HttpReceiver;
  beforeAll(async () => {
    db = openTestDatabase();
    receiver = await HttpReceiver.start();
  });
  afterAll(async () => {
    await db.close();
    await receiver.close();
  });

  it('adds, lists, shows, pauses, resumes and removes an HTTP output', async () => {
    const source = await createIdleSource(db, cipher);
    const first = await storeEvents(db, source, 40);
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const env = cliEnvironment(taskQueue, 'https://api.atlassian.com', { [URL_VAR]: receiver.url });
      const cli = (args: string[]) => runCli(args, { env });
      const name = `web-${source.name}`;

      const added = JSON.parse(succeeded(await cli(['outputs', 'add', name, '--url-env', URL_VAR, '--sources', source.name, '--batch-age', '0', '--gzip', '--json'])));
      expect(added).toMatchObject({ action: 'outputs add', output: name, kind: 'http', format: 'raw', destination: 'http://127.0.0.1:' + new URL(receiver.url).port + '/…', sources: [source.name] });
      // The URL is stored sealed, bound to the output: never in clear, not in the settings.
      const stored = (await findOutputByName(db, name))!;
      expect(JSON.stringify(stored.settings)).not.toContain('/ingest');
      const { rows } = await db.query('SELECT sealed FROM output_secrets WHERE output_id = $1 AND name = $2', [stored.id, 'url']);
      expect(cipher.open(rows[0].sealed, outputSecretContext(stored.id, 'url'))).toBe(receiver.url);
      expect(rows[0].sealed.includes(Buffer.from(receiver.url))).toBe(false);

      await eventually(async () => (await positionOf(db, stored.id, source.id)).delivered, (d) => d === 40, 'the first forward');
      expect(firstArrivals(receiver.accepted()).ids).toEqual(first);

      const listed = JSON.parse(succeeded(await cli(['outputs', 'list', '--json'])));
      expect(listed.find((o: { name: string }) => o.name === name)).toMatchObject({ kind: 'http', status: 'active', sources: [source.name] });
      const status = JSON.parse(succeeded(await cli(['outputs', 'status', name, '--json'])));
      expect(status).toMatchObject({ output: name, status: 'active', running: true, sources: [{ source: source.name, deliveredSeq: 40, lagEvents: 0, lagSeconds: 0, lastError: null }] });
      expect(succeeded(await cli(['outputs', 'status', name]))).toMatch(/DELIVERED SEQ/);

      succeeded(await cli(['outputs', 'pause', name, '--reason', 'receiver maintenance']));
      await eventually(async () => (await cli(['outputs', 'status', name, '--json'])).status, (code) => code === 4, 'the pause');
      const paused = JSON.parse(exitedWith(await cli(['outputs', 'status', name, '--json']), 4));
      expect(paused).toMatchObject({ status: 'paused', statusReason: 'receiver maintenance' });

      const more = await storeEvents(db, source, 25);
      succeeded(await cli(['outputs', 'resume', name]));
      await eventually(async () => (await positionOf(db, stored.id, source.id)).delivered, (d) => d === 65, 'the forward after resume');
      expect(firstArrivals(receiver.accepted()).ids).toEqual([...first, ...more]);

      expect(succeeded(await cli(['outputs', 'remove', name]))).toContain(`removed output ${name}`);
      expect(await findOutputByName(db, name)).toBeUndefined();
      expect(refusal(await cli(['outputs', 'status', name]))).toBe(`error: no output named "${name}": see atlassian-audit outputs list`);
    });
  });

  it('refuses bad input in one line and writes nothing', async () => {
    const env = cliEnvironment('unused', 'https://api.atlassian.com', { [URL_VAR]: 'http://127.0.0.1:9/x', AUDIT_SECRET_BAD_URL: 'ftp://example.com/x' });
    const cli = (args: string[]) => runCli(args, { env });
    expect(refusal(await cli(['outputs', 'add', 'x1', '--format', 'cef', '--url-env', URL_VAR]))).toBe('error: format must be one of raw, ecs, ocsf, got "cef"');
    expect(refusal(await cli(['outputs', 'add', 'x1', '--kind', 's3', '--url-env', URL_VAR]))).toBe('error: --url-env is for http outputs, not s3');
    expect(refusal(await cli(['outputs', 'add', 'x1', '--url-env', 'CREDENTIALS_KEY']))).toMatch(/^error: --url-env: CREDENTIALS_KEY is one of the product's own settings/);
    expect(refusal(await cli(['outputs', 'add', 'x1', '--url-env', 'AUDIT_SECRET_BAD_URL']))).toBe("error: the output's URL must be http(s), got ftp:");
    expect(refusal(await cli(['outputs', 'add', 'x1', '--url-env', URL_VAR, '--batch-events', '0']))).toBe('error: --batch-events must be from 1 to 100000, got 0');
    expect(refusal(await cli(['outputs', 'add', 'x1', '--url-env', URL_VAR, '--sources', 'no-such-source']))).toBe('error: --sources: no source named "no-such-source"');
    expect(refusal(await cli(['outputs', 'add', 'Bad Name', '--url-env', URL_VAR]))).toMatch(/^error: output name "Bad Name" is invalid/);
    expect(await findOutputByName(db, 'x1')).toBeUndefined();
  });

  it('apply -f creates, keeps and changes the outputs a file declares, with their URL by reference', async () => {
    const source = await createIdleSource(db, cipher);
    const stored = await storeEvents(db, source, 10);
    const folder = mkdtempSync(path.join(os.tmpdir(), 'outputs-apply-'));
    const file = path.join(folder, 'sources.yaml');
    const name = `filed-${source.name}`;
    const declare = (output: Record<string, unknown>) => writeFileSync(file, stringify({ sources: [], outputs: [{ name, url: { env: URL_VAR }, sources: [source.name], batch: { age: 0 }, ...output }] }));
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const cli = (args: string[]) => runCli(args, { env: cliEnvironment(taskQueue, 'https://api.atlassian.com', { [URL_VAR]: receiver.url }) });
      declare({ gzip: true });
      expect(succeeded(await cli(['apply', '-f', file]))).toContain(`+ output ${name}: create (http, raw, ${source.name} to http://127.0.0.1:`);
      const output = (await findOutputByName(db, name))!;
      expect(output).toMatchObject({ allSources: false, sourceIds: [source.id], settings: { gzip: true }, lagAlertSeconds: 3600 });
      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === 10, 'the first forward');
      expect(firstArrivals(receiver.accepted()).ids).toEqual(expect.arrayContaining(stored));

      expect(succeeded(await cli(['apply', '-f', file]))).toContain('= 1 outputs unchanged');
      declare({ gzip: true, lagAlert: '2h' });
      expect(succeeded(await cli(['apply', '-f', file]))).toContain(`~ output ${name}: lag alert after 7200 s`);
      expect((await findOutputByName(db, name))!.lagAlertSeconds).toBe(7200);

      declare({ url: 'http://127.0.0.1:9/in-the-file' });
      expect(refusal(await cli(['apply', '-f', file]))).toBe(`error: ${file}: outputs[0] (${name}): url: give { env: VARIABLE } or { file: path }, never the secret itself`);
      declare({ sources: ['nobody-by-this-name'] });
      expect(refusal(await cli(['apply', '-f', file]))).toBe(`error: ${file}: outputs[0] (${name}): sources: no source named "nobody-by-this-name" in the file or stored`);
      declare({ format: 'cef' });
      expect(refusal(await cli(['apply', '-f', file]))).toBe(`error: ${file}: outputs[0] (${name}): format: format must be one of raw, ecs, ocsf, got "cef"`);
      expect((await findOutputByName(db, name))!.lagAlertSeconds).toBe(7200);
      succeeded(await cli(['outputs', 'remove', name]));
    });
  });
});
