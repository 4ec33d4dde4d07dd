import { randomUUID } from 'node:crypto';
import { statusQuery } from '../../contract/source-messages';
import { startOutputWorkflow } from '../../outputs/start-output-workflow';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { DEFAULT_BATCHING, insertOutput } from '../../store/outputs';
import { listObjects, newBucket, recordsOf, s3Client, S3_START_TIMEOUT_MS, testS3, type TestS3 } from '../../harness/s3';
import { startSimulator } from '../../harness/simulator';
import { createTestSource, eventually, openTestDatabase, testCipher } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';
import { eventsBySeq, positionOf } from './output-kit';

const TOTAL = 6_000;
const DAY_MS = 24 * 3600_000;

describe('S3 output end to end: a backfill forwarded into SeaweedFS', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await testS3();
  }, S3_START_TIMEOUT_MS);

  it('holds every stored event exactly once, also when the worker is killed in the middle of a batch', async () => {
    // Late events put one batch over several days, so batches write several objects and a kill can fall between them.
    const simulator = await startSimulator({ seed: 62, orgs: [{}], history: { count: TOTAL, spanMs: 4 * DAY_MS }, lateEventRatio: 0.05 });
    const db = openTestDatabase();
    const client = await connectClient();
    const bucketClient = s3Client(s3);
    const taskQueue = `s3-forwarding-${randomUUID()}`;
    const workers: WorkerProcess[] = [];
    try {
      const bucket = await newBucket(s3, 'forwarding');
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      const output = await insertOutput(db, testCipher, {
        name: `lake-${randomUUID().slice(0, 8)}`,
        kind: 's3',
        format: 'raw',
        settings: { bucket, prefix: 'atlassian', region: s3.region, endpoint: s3.endpoint, forcePathStyle: true },
        allSources: false,
        sourceIds: [source.id],
        batching: { ...DEFAULT_BATCHING, maxEvents: 250, maxAgeSeconds: 0 },
        lagAlertSeconds: 3600,
        secrets: { accessKeyId: s3.admin.accessKeyId, secretAccessKey: s3.admin.secretAccessKey },
      });
      workers.push(new WorkerProcess(taskQueue));
      await workers[0].ready();
      const sourceHandle = await startSourceWorkflow(client, source, taskQueue);
      const outputHandle = await startOutputWorkflow(client, output, taskQueue);

      // Killed while a batch is claimed and not yet acknowledged: its objects may be partly written.
      const atKill = await eventually(() => positionOf(db, output.id, source.id), (p) => p.claimed !== null && p.delivered > 0, 120_000, 10);
      await workers[0].kill();
      workers.push(new WorkerProcess(taskQueue));
      await workers[1].ready();

      await eventually(() => sourceHandle.query(statusQuery), (s) => s.backfill.completed, 180_000, 200);
      const stored = await eventsBySeq(db, source.id);
      expect(stored.ids).toHaveLength(TOTAL);
      // The killed attempt's activity is retried once its heartbeat times out.
      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (d) => d === stored.maxSeq, 280_000, 500);
      expect(atKill.claimed!).toBeLessThan(stored.maxSeq);

      const objects = await listObjects(bucketClient, bucket);
      const counts = new Map<string, number>();
      for (const object of objects) {
        expect(object.key).toMatch(new RegExp(`^atlassian/org=${org.id}/year=\\d{4}/month=\\d{2}/day=\\d{2}/${source.id}-\\d{16}-\\d{16}\\.json\\.gz$`));
        for (const record of recordsOf(object)) counts.set(String(record.id), (counts.get(String(record.id)) ?? 0) + 1);
      }
      expect([...counts.keys()].sort()).toEqual([...stored.ids].sort());
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      // Several days, so several objects per batch at times.
      expect(new Set(objects.map((o) => o.key.split('/').slice(2, 5).join('/'))).size).toBeGreaterThan(1);
      await sourceHandle.terminate('test done');
      await outputHandle.terminate('test done');
      // The workers' output never shows the secret key.
      for (const worker of workers) expect(worker.output).not.toContain(s3.admin.secretAccessKey);
    } finally {
      for (const worker of workers) await worker.stop();
      bucketClient.destroy();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }
  }, 600_000);
});
