import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findOutputByName, openOutputSecrets } from '../../store/outputs';
import { HecReceiver } from '../../harness/hec-receiver';
import { listObjects, newBucket, recordsOf, s3Client, S3_START_TIMEOUT_MS, testS3, type TestS3 } from '../../harness/s3';
import { withWorker } from '../../harness/worker';
import { cipher, cliEnvironment, openTestDatabase } from '../cli/cli-test-setup';
import { eventually, refusal, runCli, succeeded } from '../cli/run-cli';
import { createIdleSource } from '../../harness/sources';
import { storeEvents } from './stored-rows';
import { positionOf } from './output-kit';

const TOKEN = '0c8f3a1e-5b2d-4e7f-9a61-2d4b8c6e0f13';
const NEW_TOKEN = '7e2d9b4c-1a3f-4c8e-b5d7-6f0a2c9e8b41';

/** A sources file of outputs only, in a folder of its own (secrets files sit next to it). */
function outputsFile(): { file: string; folder: string; declare: (outputs: Record<string, unknown>[]) => void } {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'apply-kinds-'));
  const file = path.join(folder, 'sources.yaml');
  return { file, folder, declare: (outputs) => writeFileSync(file, stringify({ sources: [], outputs })) };
}

describe('apply -f: outputs of kind s3 and splunk_hec', () => {
  let db: Database;
  let s3: TestS3;
  let hec: HecReceiver;
  beforeAll(async () => {
    db = openTestDatabase();
    s3 = await testS3();
    hec = await HecReceiver.start({ tokens: { [TOKEN]: 'enabled', [NEW_TOKEN]: 'enabled' }, ack: true });
  }, S3_START_TIMEOUT_MS);
  afterAll(async () => {
    await hec.down();
    await db.close();
  });

  it('creates an S3 output from a file, forwards into the bucket, keeps it, changes it, and sees a CLI-added twin as unchanged', async () => {
    const source = await createIdleSource(db, cipher);
    const ids = await storeEvents(db, source, 20);
    const bucket = await newBucket(s3, 'apply');
    const { file, folder, declare } = outputsFile();
    writeFileSync(path.join(folder, 'lake.secret'), `${s3.admin.secretAccessKey}\n`);
    const name = `lake-${source.name}`;
    const twin = `lake-cli-${source.name}`;
    const lake = (overrides: Record<string, unknown> = {}) => ({
      name,
      kind: 's3',
      bucket,
      prefix: 'audit',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: { env: 'AUDIT_SECRET_LAKE_KEY_ID' },
      secretAccessKey: { file: 'lake.secret' },
      sources: [source.name],
      batch: { age: 0 },
      ...overrides,
    });
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const env = cliEnvironment(taskQueue, 'https://api.atlassian.com', { AUDIT_SECRET_LAKE_KEY_ID: s3.admin.accessKeyId, AUDIT_SECRET_LAKE_SECRET: s3.admin.secretAccessKey });
      const cli = (args: string[]) => runCli(args, { env });

      declare([lake()]);
      expect(succeeded(await cli(['apply', '-f', file]))).toContain(`+ output ${name}: create (s3, raw, ${source.name} to s3://${bucket}/audit at ${s3.endpoint})`);
      const output = (await findOutputByName(db, name))!;
      expect(output.settings).toEqual({ bucket, prefix: 'audit', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, shownUrl: `s3://${bucket}/audit at ${s3.endpoint}` });
      expect(await openOutputSecrets(db, cipher, output.id)).toEqual({ accessKeyId: s3.admin.accessKeyId, secretAccessKey: s3.admin.secretAccessKey });

      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === 20, 'the forward into the bucket');
      const client = s3Client(s3);
      try {
        const objects = await listObjects(client, bucket, 'audit/');
        expect(objects.flatMap(recordsOf).map((r) => r.id).sort()).toEqual([...ids].sort());
      } finally {
        client.destroy();
      }

      // The same output added by the CLI and declared the same way is what the file wants already.
      const keys = ['--access-key-id-env', 'AUDIT_SECRET_LAKE_KEY_ID', '--secret-access-key-env', 'AUDIT_SECRET_LAKE_SECRET'];
      succeeded(await cli(['outputs', 'add', twin, '--kind', 's3', '--bucket', bucket, '--prefix', 'twin', '--endpoint', s3.endpoint, '--path-style', '--sources', source.name, '--batch-age', '0', ...keys]));
      declare([lake(), lake({ name: twin, prefix: 'twin', secretAccessKey: { env: 'AUDIT_SECRET_LAKE_SECRET' } })]);
      expect(succeeded(await cli(['apply', '-f', file]))).toContain('= 2 outputs unchanged');
      // Delivered before its keys go: without them it would sign with a credential chain this machine has not.
      const twinId = (await findOutputByName(db, twin))!.id;
      await eventually(async () => (await positionOf(db, twinId, source.id)).delivered, (d) => d === 20, "the twin's forward");

      declare([lake({ prefix: 'lake/v2' }), lake({ name: twin, prefix: 'twin', accessKeyId: undefined, secretAccessKey: undefined })]);
      const changed = succeeded(await cli(['apply', '-f', file]));
      expect(changed).toContain(`~ output ${name}: prefix audit → lake/v2`);
      expect(changed).toContain(`~ output ${twin}: accessKeyId, secretAccessKey removed`);
      expect((await findOutputByName(db, name))!.settings).toMatchObject({ prefix: 'lake/v2', shownUrl: `s3://${bucket}/lake/v2 at ${s3.endpoint}` });
      // Without keys in the file, the worker's AWS credential chain signs: none stays stored.
      expect(await openOutputSecrets(db, cipher, twinId)).toEqual({});
      expect(changed).not.toContain(s3.admin.secretAccessKey);

      succeeded(await cli(['outputs', 'remove', name]));
      succeeded(await cli(['outputs', 'remove', twin]));
    });
  });

  it('creates a Splunk HEC output from a file, forwards to the collector, keeps it, changes its settings and token, and sees a CLI-added twin as unchanged', async () => {
    const source = await createIdleSource(db, cipher);
    const ids = await storeEvents(db, source, 25);
    const { file, declare } = outputsFile();
    const name = `splunk-${source.name}`;
    const twin = `splunk-cli-${source.name}`;
    const splunk = (overrides: Record<string, unknown> = {}) => ({
      name,
      kind: 'splunk_hec',
      format: 'ecs',
      url: hec.url,
      token: { env: 'AUDIT_SECRET_HEC_TOKEN' },
      index: 'audit',
      ack: true,
      sources: [source.name],
      batch: { age: 0 },
      ...overrides,
    });
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const cli = (args: string[], token = TOKEN) => runCli(args, { env: cliEnvironment(taskQueue, 'https://api.atlassian.com', { AUDIT_SECRET_HEC_TOKEN: token }) });

      declare([splunk()]);
      expect(succeeded(await cli(['apply', '-f', file]))).toContain(`+ output ${name}: create (splunk_hec, ecs, ${source.name} to ${hec.url})`);
      const output = (await findOutputByName(db, name))!;
      expect(output.settings).toEqual({ url: hec.url, sourcetype: 'atlassian:audit', index: 'audit', host: 'atlassian-audit', ack: true, ackTimeoutSeconds: 60, maxBatchBytes: 1_000_000, shownUrl: hec.url });
      expect(await openOutputSecrets(db, cipher, output.id)).toEqual({ token: TOKEN });

      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === 25, 'the forward to the collector');
      const received = hec.events.filter((e) => e.envelope.source === source.name);
      expect(new Set(received.map((e) => e.envelope.fields.event_id))).toEqual(new Set(ids));
      expect(received.every((e) => e.envelope.index === 'audit')).toBe(true);
      // The twin below sends the same events to its own index.

      const flags = ['--kind', 'splunk_hec', '--hec-url', hec.url, '--token-env', 'AUDIT_SECRET_HEC_TOKEN', '--index', 'twin', '--ack', '--format', 'ecs', '--sources', source.name, '--batch-age', '0'];
      succeeded(await cli(['outputs', 'add', twin, ...flags]));
      declare([splunk(), splunk({ name: twin, index: 'twin' })]);
      expect(succeeded(await cli(['apply', '-f', file]))).toContain('= 2 outputs unchanged');

      // Stored while the output idles: the apply that changes it wakes it, and its next round sends these.
      const more = await storeEvents(db, source, 5);
      declare([splunk({ sourcetype: 'atlassian:org', ackTimeoutSeconds: 120 }), splunk({ name: twin, index: 'twin' })]);
      const changed = succeeded(await cli(['apply', '-f', file], NEW_TOKEN));
      expect(changed).toContain(`~ output ${name}: ackTimeoutSeconds 60 → 120; sourcetype atlassian:audit → atlassian:org; token changed`);
      expect(changed).toContain(`~ output ${twin}: token changed`);
      expect(changed).not.toContain(NEW_TOKEN);
      expect((await findOutputByName(db, name))!.settings).toMatchObject({ sourcetype: 'atlassian:org', ackTimeoutSeconds: 120 });
      expect(await openOutputSecrets(db, cipher, output.id)).toEqual({ token: NEW_TOKEN });

      // The next events go with the new settings and the new token.
      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === 30, 'the forward after the change');
      const later = hec.events.filter((e) => e.envelope.index === 'audit' && more.includes(e.envelope.fields.event_id));
      expect(later.length).toBeGreaterThanOrEqual(5);
      expect(later.every((e) => e.envelope.sourcetype === 'atlassian:org')).toBe(true);
      expect(hec.requests.some((r) => r.headers.authorization === `Splunk ${NEW_TOKEN}`)).toBe(true);

      succeeded(await cli(['outputs', 'remove', name]));
      succeeded(await cli(['outputs', 'remove', twin]));
    });
  });

  describe('refuses in one line, naming file, output and field, and creates nothing', () => {
    const base = {
      s3: { name: 'refused-kind', kind: 's3', bucket: 'ok-bucket' },
      hec: { name: 'refused-kind', kind: 'splunk_hec', url: 'https://splunk.example.com:8088', token: { env: 'AUDIT_SECRET_HEC_TOKEN' } },
    };
    it.each([
      ['an inline access key', { ...base.s3, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: { env: 'AUDIT_SECRET_LAKE_SECRET' } }, 'accessKeyId: give { env: VARIABLE } or { file: path }, never the secret itself'],
      ['an inline token', { ...base.hec, token: TOKEN }, 'token: give { env: VARIABLE } or { file: path }, never the secret itself'],
      ['an http field on s3', { ...base.s3, gzip: true }, 'gzip: is for http outputs, not s3'],
      ['an s3 field on splunk_hec', { ...base.hec, bucket: 'ok-bucket' }, 'bucket: is for s3 outputs, not splunk_hec'],
      ['a splunk_hec field on http', { name: 'refused-kind', url: { env: 'AUDIT_SECRET_WEB_URL' }, sourcetype: 'x' }, 'sourcetype: is for splunk_hec outputs, not http'],
      ['no token', { ...base.hec, token: undefined }, 'token: required: give { env: VARIABLE } or { file: path }'],
      ['a token not set', { ...base.hec, token: { env: 'AUDIT_SECRET_NOT_SET' } }, 'token: environment variable AUDIT_SECRET_NOT_SET is not set'],
      ['half a key pair', { ...base.s3, accessKeyId: { env: 'AUDIT_SECRET_LAKE_KEY_ID' } }, 'credentials: give both the access key id and the secret access key, or neither'],
      ['a bad bucket', { ...base.s3, bucket: 'Bad_Bucket' }, 'bucket: "Bad_Bucket" is not a bucket name'],
      ['a collector over http', { ...base.hec, url: 'http://splunk.example.com:8088' }, 'url: http://splunk.example.com:8088 is http://, which would send the token in clear: use https'],
      ['a bad ack timeout', { ...base.hec, ackTimeoutSeconds: 0 }, 'ackTimeoutSeconds: must be at least 1 s'],
    ])('%s', async (_what, entry, message) => {
      const { file, declare } = outputsFile();
      declare([entry]);
      const env = cliEnvironment('unused', 'https://api.atlassian.com', { AUDIT_SECRET_HEC_TOKEN: TOKEN, AUDIT_SECRET_LAKE_KEY_ID: 'AKID', AUDIT_SECRET_LAKE_SECRET: 'SECRET' });
      const printed = refusal(await runCli(['apply', '-f', file], { env }));
      expect(printed).toContain(`error: ${file}: outputs[0] (refused-kind): ${message}`);
      expect(printed).not.toContain(TOKEN);
      expect(printed).not.toContain('AKIAIOSFODNN7EXAMPLE');
      expect(await findOutputByName(db, 'refused-kind')).toBeUndefined();
    });
  });
});
