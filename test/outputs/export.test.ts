import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { newSigningSecret } from '../../alerts/destinations';
import { startOutputWorkflow } from '../../outputs/start-output-workflow';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { connectClient } from '../../harness/worker';
import { DEFAULT_BATCHING, insertOutput } from '../../store/outputs';
import { cipher, cliEnvironment } from '../cli/cli-test-setup';
import { runCli, succeeded } from '../cli/run-cli';
import { createIdleSource } from '../../harness/sources';

// `export` writes the outputs too, their secrets as variables to read them from: applying what it wrote changes
// nothing, and `apply --prune` of an export no longer removes every output.

const URL_SECRET = 'https://siem.invalid/ingest?token=export-url-token';
const HEC_TOKEN = 'export-hec-token-0c8f3a1e';
const S3_SECRET_KEY = 'export-s3-secret-key';

describe('export and outputs', () => {
  let own: OwnDatabase;
  beforeAll(async () => {
    own = await openOwnDatabase('export_outputs');
  });
  afterAll(() => own?.close());

  it('writes every output as apply takes it, secrets by reference, and applying it changes nothing', async () => {
    const source = await createIdleSource(own.db, cipher, 'acme');
    const common = { format: 'raw' as const, allSources: true, sourceIds: [], batching: DEFAULT_BATCHING, lagAlertSeconds: 3600 };
    const outputs = [
      await insertOutput(own.db, cipher, {
        ...common,
        name: 'siem',
        kind: 'http',
        format: 'ecs',
        settings: { shownUrl: 'https://siem.invalid/…', gzip: true },
        allSources: false,
        sourceIds: [source.id],
        batching: { maxEvents: 500, maxBytes: 1_048_576, maxAgeSeconds: 10 },
        lagAlertSeconds: 1800,
        secrets: { url: URL_SECRET, signingSecret: newSigningSecret() },
      }),
      await insertOutput(own.db, cipher, {
        ...common,
        name: 'lake',
        kind: 's3',
        settings: { bucket: 'audit-events', prefix: 'atlassian', region: 'eu-west-1', endpoint: 'http://127.0.0.1:8333', forcePathStyle: true, shownUrl: 's3://audit-events/atlassian/' },
        secrets: { accessKeyId: 'export-key-id', secretAccessKey: S3_SECRET_KEY },
      }),
      await insertOutput(own.db, cipher, {
        ...common,
        name: 'splunk',
        kind: 'splunk_hec',
        format: 'ocsf',
        settings: { url: 'https://splunk.invalid:8088', sourcetype: 'atlassian:audit', host: 'atlassian-audit', ack: true, ackTimeoutSeconds: 60, maxBatchBytes: 1_000_000, shownUrl: 'https://splunk.invalid:8088' },
        secrets: { token: HEC_TOKEN },
      }),
    ];
    // Running workflows (no worker needed): an output whose workflow is not running is one apply would start.
    const client = await connectClient();
    const taskQueue = `export-idle-${randomUUID()}`;
    const handles = await Promise.all(outputs.map((output) => startOutputWorkflow(client, output, taskQueue)));
    try {
      const env = { ...cliEnvironment(taskQueue, 'https://api.atlassian.com'), DATABASE_URL: own.url };
      const exported = succeeded(await runCli(['export'], { env }));
      for (const secret of [URL_SECRET, HEC_TOKEN, S3_SECRET_KEY, 'export-key-id']) expect(exported).not.toContain(secret);
      expect(parseYaml(exported).outputs).toEqual([
        {
          name: 'lake',
          kind: 's3',
          format: 'raw',
          bucket: 'audit-events',
          prefix: 'atlassian',
          region: 'eu-west-1',
          endpoint: 'http://127.0.0.1:8333',
          forcePathStyle: true,
          accessKeyId: { env: 'AUDIT_SECRET_OUTPUT_LAKE_ACCESS_KEY_ID' },
          secretAccessKey: { env: 'AUDIT_SECRET_OUTPUT_LAKE_SECRET_ACCESS_KEY' },
          batch: { events: 1000, bytes: 4_194_304, age: '5s' },
          lagAlert: '1h',
        },
        {
          name: 'siem',
          kind: 'http',
          format: 'ecs',
          gzip: true,
          // The signing secret is left out: a file without it keeps the stored one.
          url: { env: 'AUDIT_SECRET_OUTPUT_SIEM_URL' },
          sources: ['acme'],
          batch: { events: 500, bytes: 1_048_576, age: '10s' },
          lagAlert: '30m',
        },
        {
          name: 'splunk',
          kind: 'splunk_hec',
          format: 'ocsf',
          url: 'https://splunk.invalid:8088',
          sourcetype: 'atlassian:audit',
          host: 'atlassian-audit',
          ack: true,
          ackTimeoutSeconds: 60,
          maxBatchBytes: 1_000_000,
          token: { env: 'AUDIT_SECRET_OUTPUT_SPLUNK_TOKEN' },
          batch: { events: 1000, bytes: 4_194_304, age: '5s' },
          lagAlert: '1h',
        },
      ]);

      // Applied without the variables at hand: every reference not set keeps its stored secret, nothing changes.
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'export-outputs-')), 'exported.yaml');
      writeFileSync(file, exported);
      const plan = JSON.parse(succeeded(await runCli(['apply', '-f', file, '--prune', '--dry-run', '-o', 'json'], { env })));
      expect(plan.outputs).toEqual({ create: [], update: [], absent: [], unchanged: 3 });
    } finally {
      for (const handle of handles) await handle.terminate('test done');
      await client.connection.close();
    }
  });
});
