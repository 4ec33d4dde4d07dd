import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findOutputByName } from '../../store/outputs';
import { outputSecretContext } from '../../store/credentials';
import { withWorker } from '../../harness/worker';
import { listObjects, newBucket, recordsOf, s3Client, S3_START_TIMEOUT_MS, testS3, type TestS3 } from '../../harness/s3';
import { cipher, cliEnvironment, openTestDatabase } from '../cli/cli-test-setup';
import { eventually, refusal, runCli, succeeded } from '../cli/run-cli';
import { createIdleSource } from '../../harness/sources';
import { storeEvents } from './stored-rows';
import { positionOf } from './output-kit';

describe('atlassian-audit outputs add --kind s3', () => {
  let db: Database;
  let s3: TestS3;
  beforeAll(async () => {
    db = openTestDatabase();
    s3 = await testS3();
  }, S3_START_TIMEOUT_MS);
  afterAll(async () => db.close());

  it('adds an S3 output with its keys by reference, sealed, and forwards into the bucket', async () => {
    const source = await createIdleSource(db, cipher);
    const ids = await storeEvents(db, source, 30);
    const bucket = await newBucket(s3, 'cli');
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const env = cliEnvironment(taskQueue, 'https://api.atlassian.com', { AUDIT_SECRET_LAKE_KEY_ID: s3.admin.accessKeyId, AUDIT_SECRET_LAKE_SECRET: s3.admin.secretAccessKey });
      const name = `lake-${source.name}`;
      const args = ['outputs', 'add', name, '--kind', 's3', '--bucket', bucket, '--prefix', 'audit/', '--endpoint', s3.endpoint, '--path-style', '--sources', source.name, '--batch-age', '0'];
      const keys = ['--access-key-id-env', 'AUDIT_SECRET_LAKE_KEY_ID', '--secret-access-key-env', 'AUDIT_SECRET_LAKE_SECRET'];
      const added = JSON.parse(succeeded(await runCli([...args, ...keys, '--json'], { env })));
      expect(added).toMatchObject({ action: 'outputs add', output: name, kind: 's3', destination: `s3://${bucket}/audit at ${s3.endpoint}`, keys: 'given' });

      const stored = (await findOutputByName(db, name))!;
      expect(stored.settings).toMatchObject({ bucket, prefix: 'audit', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
      expect(JSON.stringify(stored.settings)).not.toContain(s3.admin.secretAccessKey);
      const { rows } = await db.query('SELECT sealed FROM output_secrets WHERE output_id = $1 AND name = $2', [stored.id, 'secretAccessKey']);
      expect(cipher.open(rows[0].sealed, outputSecretContext(stored.id, 'secretAccessKey'))).toBe(s3.admin.secretAccessKey);

      await eventually(async () => (await positionOf(db, stored.id, source.id)).delivered, (d) => d === 30, 'the forward');
      const client = s3Client(s3);
      try {
        const objects = await listObjects(client, bucket);
        expect(objects.flatMap(recordsOf).map((r) => r.id).sort()).toEqual([...ids].sort());
      } finally {
        client.destroy();
      }
      expect(succeeded(await runCli(['outputs', 'list'], { env }))).toContain(`s3://${bucket}/audit`);
      succeeded(await runCli(['outputs', 'remove', name], { env }));
    });
  });

  it.each([
    [['--prefix', 'x'], '--kind s3: bucket: required'],
    [['--bucket', 'Bad_Bucket'], '--kind s3: bucket: "Bad_Bucket" is not a bucket name'],
    [['--bucket', 'ok-bucket', '--access-key-id-env', 'AUDIT_SECRET_LAKE_KEY_ID'], '--kind s3: credentials: give both the access key id and the secret access key'],
    [['--bucket', 'ok-bucket', '--access-key-id-env', 'DATABASE_URL', '--secret-access-key-env', 'AUDIT_SECRET_LAKE_SECRET'], '--access-key-id-env: DATABASE_URL is one of the product'],
    [['--bucket', 'ok-bucket', '--url-env', 'AUDIT_SECRET_X'], '--url-env is for http outputs, not s3'],
  ])('refuses %j in one line', async (flags, message) => {
    const env = cliEnvironment('unused', 'https://api.atlassian.com', { AUDIT_SECRET_LAKE_KEY_ID: 'AK', AUDIT_SECRET_LAKE_SECRET: 'SK' });
    expect(refusal(await runCli(['outputs', 'add', 'refused-lake', '--kind', 's3', ...flags], { env }))).toContain(message);
    expect(await findOutputByName(db, 'refused-lake')).toBeUndefined();
  });
});
