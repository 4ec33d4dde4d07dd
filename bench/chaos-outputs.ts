import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Client } from '@temporalio/client';
import { randomAdminIdentity, startS3Server, type S3Server, type S3ServerOptions } from '../scripts/stack/s3-server';
import { resolveSeaweedfs } from '../scripts/stack/seaweedfs-binary';
import { HttpReceiver, type ReceivedBatch } from '../harness/http-receiver';
import { startOutputWorkflow } from '../outputs/start-output-workflow';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { DEFAULT_BATCHING, insertOutput, type OutputRecord } from '../store/outputs';

const BUCKET = 'chaos';

/**
 * The chaos run's two outputs over every source: S3 into a SeaweedFS of its own and generic HTTP into a receiver that
 * counts event ids (a million records would not fit in memory, their ids do). Both destinations go down for a while,
 * again and again, on the same ports; at the end the bucket must hold every stored event exactly once, and the
 * receiver must have taken every one at least once.
 */
export class ChaosOutputs {
  private s3: S3Server;
  private outputs: OutputRecord[] = [];
  readonly outages = { s3: 0, http: 0 };

  private constructor(
    s3: S3Server,
    private readonly s3Options: S3ServerOptions,
    readonly receiver: CountingReceiver,
  ) {
    this.s3 = s3;
  }

  static async start(workDir: string, log: (line: string) => void): Promise<ChaosOutputs> {
    const options: S3ServerOptions = {
      weedPath: await resolveSeaweedfs(log),
      dataDir: path.join(workDir, 's3'),
      logFile: path.join(workDir, 's3.log'),
      identities: [randomAdminIdentity()],
    };
    const s3 = await startS3Server(options);
    await s3.createBucket(BUCKET);
    const receiver = new CountingReceiver();
    await receiver.up();
    log(`outputs: S3 at ${s3.endpoint} (bucket ${BUCKET}), HTTP receiver at ${receiver.url}`);
    return new ChaosOutputs(s3, { ...options, ports: s3.ports }, receiver);
  }

  /** Both outputs take every source; small batches, so that kills and outages fall in the middle of many. */
  async add(db: Database, cipher: CredentialCipher, client: Client, taskQueue: string): Promise<void> {
    const common = { format: 'raw' as const, allSources: true, sourceIds: [], batching: { ...DEFAULT_BATCHING, maxEvents: 500, maxAgeSeconds: 2 }, lagAlertSeconds: 3600 };
    this.outputs.push(
      await insertOutput(db, cipher, {
        ...common,
        name: `chaos-s3-${randomUUID().slice(0, 6)}`,
        kind: 's3',
        settings: { bucket: BUCKET, prefix: 'chaos', region: this.s3.region, endpoint: this.s3.endpoint, forcePathStyle: true },
        secrets: { accessKeyId: this.s3.admin.accessKeyId, secretAccessKey: this.s3.admin.secretAccessKey },
      }),
      await insertOutput(db, cipher, { ...common, name: `chaos-http-${randomUUID().slice(0, 6)}`, kind: 'http', settings: { shownUrl: this.receiver.url, gzip: true }, secrets: { url: this.receiver.url } }),
    );
    for (const output of this.outputs) await startOutputWorkflow(client, output, taskQueue);
  }

  /** One destination down for this long, then back on the same port with what it held. */
  async outage(which: 's3' | 'http', seconds: number): Promise<void> {
    this.outages[which]++;
    if (which === 's3') {
      await this.s3.stop();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      this.s3 = await startS3Server(this.s3Options);
    } else {
      await this.receiver.down();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      await this.receiver.up();
    }
  }

  /** Until both outputs' positions reach every source's last stored event; false when the time ran out. */
  async untilDelivered(db: Database, timeoutSeconds: number): Promise<boolean> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (Date.now() < deadline) {
      const { rows } = await db.query<{ behind: number }>(
        `SELECT count(*)::int AS behind FROM (SELECT source_id, max(seq) AS last FROM events GROUP BY source_id) e
           CROSS JOIN unnest($1::uuid[]) AS o(id)
           LEFT JOIN output_positions p ON p.output_id = o.id AND p.source_id = e.source_id
          WHERE COALESCE(p.delivered_seq, 0) < e.last`,
        [this.outputs.map((o) => o.id)],
      );
      if (rows[0].behind === 0) return true;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return false;
  }

  /** The bucket's events against the store's, and the receiver's. */
  async check(db: Database): Promise<OutputFigures> {
    const { rows } = await db.query<{ event_id: string }>('SELECT event_id FROM events');
    const stored = new Set(rows.map((r) => r.event_id));
    const inBucket = await this.idsInBucket();
    const figures: OutputFigures = { stored: stored.size, objects: inBucket.objects, s3Missing: 0, s3Doubled: 0, s3Unknown: 0, httpMissing: 0, httpDuplicates: 0, httpPosts: this.receiver.posts };
    for (const id of stored) {
      const n = inBucket.counts.get(id) ?? 0;
      if (n === 0) figures.s3Missing++;
      if (n > 1) figures.s3Doubled += n - 1;
      if (!this.receiver.counts.has(id)) figures.httpMissing++;
    }
    for (const id of inBucket.counts.keys()) if (!stored.has(id)) figures.s3Unknown++;
    for (const n of this.receiver.counts.values()) if (n > 1) figures.httpDuplicates += n - 1;
    return figures;
  }

  async stop(): Promise<void> {
    await this.s3.stop();
    await this.receiver.down();
  }

  private async idsInBucket(): Promise<{ objects: number; counts: Map<string, number> }> {
    const client = new S3Client({
      endpoint: this.s3.endpoint,
      region: this.s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: this.s3.admin.accessKeyId, secretAccessKey: this.s3.admin.secretAccessKey },
    });
    const counts = new Map<string, number>();
    let objects = 0;
    try {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
        for (const entry of page.Contents ?? []) {
          objects++;
          const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: entry.Key! }));
          countIds(gunzipSync(Buffer.from(await got.Body!.transformToByteArray())).toString('utf8'), counts);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } finally {
      client.destroy();
    }
    return { objects, counts };
  }
}

export interface OutputFigures {
  stored: number;
  objects: number;
  s3Missing: number;
  s3Doubled: number;
  s3Unknown: number;
  httpMissing: number;
  httpDuplicates: number;
  httpPosts: number;
}

function countIds(ndjson: string, counts: Map<string, number>): void {
  for (const line of ndjson.split('\n')) {
    if (!line) continue;
    const id = String((JSON.parse(line) as { id: unknown }).id);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
}

/** An HTTP destination that keeps only how often each event id arrived; down means connections refused. */
class CountingReceiver extends HttpReceiver {
  readonly counts = new Map<string, number>();
  posts = 0;

  protected override take(batch: ReceivedBatch): void {
    for (const record of batch.records) {
      const id = String(record.id);
      this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    }
    this.posts++;
  }
}
