import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import path from 'node:path';
import { outboundPolicy } from '../../config/outbound-guard';
import { createS3Sink } from '../../outputs/s3-sink';
import { parseS3Settings, type S3Secrets } from '../../outputs/s3-settings';
import { DestinationRefused, type OutgoingBatch } from '../../outputs/sink';
import type { StoredEvent } from '../../outputs/stored-event';
import type { S3Server } from '../../scripts/stack/s3-server';
import { env, requiredEnv } from '../../harness/env';
import { listObjects, newBucket, recordsOf, s3Client, S3_START_TIMEOUT_MS, startPrivateS3, testS3, type TestS3 } from '../../harness/s3';

const SOURCE = { id: '0b6f1f9e-5d0c-4e55-9a53-3c1b8f0a7d21', name: 'acme', organizationId: 'org-1234' };

function event(seq: number, eventTime: string): StoredEvent {
  const raw = { id: `event-${seq}`, attributes: { time: eventTime } };
  return {
    sourceId: SOURCE.id,
    sourceName: SOURCE.name,
    organizationId: SOURCE.organizationId,
    seq,
    eventId: `event-${seq}`,
    eventTime,
    processedAt: null,
    action: 'user_logged_in',
    actorId: 'actor-1',
    actorName: 'Ada',
    actorEmail: 'ada@example.com',
    ip: '203.0.113.7',
    location: null,
    parsedAt: '2026-03-10T12:00:00.000Z',
    anyIpAddresses: ['203.0.113.7'],
    anyEmails: ['ada@example.com'],
    anyUsernames: ['Ada'],
    rawText: JSON.stringify(raw),
    raw,
  };
}

/** Seqs 11-14: two events on 8 March, then a late one from 7 March, then 8 March again. */
function twoDayBatch(): OutgoingBatch {
  const events = [event(11, '2026-03-08T09:00:00.000Z'), event(12, '2026-03-08T23:59:59.999Z'), event(13, '2026-03-07T22:10:00.000Z'), event(14, '2026-03-08T00:00:00.000Z')];
  return { outputId: 'output-1', outputName: 'lake', source: SOURCE, firstSeq: 11, lastSeq: 14, events, records: events.map((e) => JSON.stringify({ id: e.eventId, time: e.eventTime })) };
}

const NAME = `${SOURCE.id}-0000000000000011-0000000000000014.json.gz`;

describe('S3 output against a real S3-compatible server (SeaweedFS)', () => {
  let s3: TestS3;
  let client: S3Client;
  const signal = new AbortController().signal;
  const sinkFor = (bucket: string, secrets: S3Secrets, extra: Record<string, unknown> = {}) =>
    createS3Sink({ settings: parseS3Settings({ bucket, prefix: 'audit/', region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, ...extra }), secrets });
  const adminKeys = (): S3Secrets => ({ accessKeyId: s3.admin.accessKeyId, secretAccessKey: s3.admin.secretAccessKey });

  beforeAll(async () => {
    s3 = await testS3();
    client = s3Client(s3);
  }, S3_START_TIMEOUT_MS);
  afterAll(() => client?.destroy());

  it('writes a batch that spans two days as one object per day, under Hive-style keys, with the records in seq order', async () => {
    const bucket = await newBucket(s3);
    const sink = sinkFor(bucket, adminKeys());
    await sink.send(twoDayBatch(), signal);
    await sink.close?.();

    const objects = await listObjects(client, bucket);
    expect(objects.map((o) => o.key)).toEqual([`audit/org=org-1234/year=2026/month=03/day=07/${NAME}`, `audit/org=org-1234/year=2026/month=03/day=08/${NAME}`]);
    expect(recordsOf(objects[0]).map((r) => r.id)).toEqual(['event-13']);
    expect(recordsOf(objects[1]).map((r) => r.id)).toEqual(['event-11', 'event-12', 'event-14']);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objects[1].key }));
    expect(head.Metadata).toEqual({ 'source-id': SOURCE.id, 'first-seq': '11', 'last-seq': '14', events: '3' });
  });

  it('writes a retried batch under the same keys with the same bytes, so the object count does not change', async () => {
    const bucket = await newBucket(s3);
    const first = sinkFor(bucket, adminKeys());
    await first.send(twoDayBatch(), signal);
    await first.close?.();
    const before = await listObjects(client, bucket);

    // A new sink, as after a worker restart: nothing of the first attempt is remembered but the claimed range.
    const retry = sinkFor(bucket, adminKeys());
    await retry.send(twoDayBatch(), signal);
    await retry.close?.();
    const after = await listObjects(client, bucket);

    expect(after.map((o) => o.key)).toEqual(before.map((o) => o.key));
    expect(after.map((o) => o.body.toString('base64'))).toEqual(before.map((o) => o.body.toString('base64')));
    expect(after.map((o) => o.etag)).toEqual(before.map((o) => o.etag));
  });

  it('puts an event whose time is not a time under the day it was stored, rather than failing the batch', async () => {
    const bucket = await newBucket(s3);
    const events = [event(1, 'not a time')];
    const sink = sinkFor(bucket, adminKeys(), { prefix: '' });
    await sink.send({ outputId: 'o', outputName: 'lake', source: SOURCE, firstSeq: 1, lastSeq: 1, events, records: ['{"id":"event-1"}'] }, signal);
    await sink.close?.();
    expect((await listObjects(client, bucket)).map((o) => o.key)).toEqual([`org=org-1234/year=2026/month=03/day=10/${SOURCE.id}-0000000000000001-0000000000000001.json.gz`]);
  });

  it.each([
    ['an access key the server does not know', () => ({ accessKeyId: 'AKNOTAKNOWNKEY000000', secretAccessKey: s3.admin.secretAccessKey }), /InvalidAccessKeyId/],
    ['a wrong secret key', () => ({ accessKeyId: s3.admin.accessKeyId, secretAccessKey: 'not-the-secret-key-at-all-0000000000000' }), /SignatureDoesNotMatch/],
    ['keys that may only read', () => ({ accessKeyId: s3.readOnly.accessKeyId, secretAccessKey: s3.readOnly.secretAccessKey }), /AccessDenied/],
  ])('refuses a batch sent with %s, and writes nothing', async (_what, secrets, code) => {
    const bucket = await newBucket(s3);
    const sink = sinkFor(bucket, secrets());
    const sent = sink.send(twoDayBatch(), signal);
    await expect(sent).rejects.toBeInstanceOf(DestinationRefused);
    await expect(sent).rejects.toThrow(code);
    await sink.close?.();
    expect(await listObjects(client, bucket)).toEqual([]);
  });

  it('refuses a batch for a bucket that does not exist, and does not create it', async () => {
    const sink = sinkFor('no-such-bucket-here', adminKeys());
    const sent = sink.send(twoDayBatch(), signal);
    await expect(sent).rejects.toBeInstanceOf(DestinationRefused);
    await expect(sent).rejects.toThrow('bucket no-such-bucket-here: the bucket does not exist (NoSuchBucket)');
    await sink.close?.();
  });

  it('refuses an endpoint on loopback unless OUTBOUND_ALLOWED_NETWORKS allows it, before any request is sent', async () => {
    const bucket = await newBucket(s3);
    const settings = parseS3Settings({ bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true });
    const sink = createS3Sink({ settings, secrets: adminKeys(), outbound: outboundPolicy('') });
    const sent = sink.send(twoDayBatch(), signal);
    await expect(sent).rejects.toBeInstanceOf(DestinationRefused);
    await expect(sent).rejects.toThrow('127.0.0.1 is a loopback address, not in OUTBOUND_ALLOWED_NETWORKS');
    await sink.close?.();
    expect(await listObjects(client, bucket)).toEqual([]);
  });

  describe('when the server is down', () => {
    let own: S3Server | undefined;
    const dir = () => path.join(requiredEnv(env.runDir), 's3-outage');

    afterAll(async () => own?.stop(), 30_000);

    it('fails with a transient error, not a refusal, and the same batch goes through once the server is back', async () => {
      own = await startPrivateS3({ dataDir: path.join(dir(), 'data'), logFile: path.join(dir(), 's3.log') });
      await own.createBucket('outage');
      const ports = own.ports;
      const identities = [own.admin];
      const secrets = { accessKeyId: own.admin.accessKeyId, secretAccessKey: own.admin.secretAccessKey };
      const settings = parseS3Settings({ bucket: 'outage', region: own.region, endpoint: own.endpoint, forcePathStyle: true });
      await own.stop();

      // A restarted server's first write grows its volumes again, which takes seconds on a busy machine.
      const sink = createS3Sink({ settings, secrets, timeoutMs: 30_000 });
      const failure = await sink.send(twoDayBatch(), signal).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(DestinationRefused);

      own = await startPrivateS3({ dataDir: path.join(dir(), 'data'), logFile: path.join(dir(), 's3.log'), identities, ports });
      await sink.send(twoDayBatch(), signal);
      await sink.close?.();
      const ownClient = s3Client({ endpoint: own.endpoint, region: own.region, admin: own.admin });
      try {
        expect((await listObjects(ownClient, 'outage')).map((o) => o.key)).toHaveLength(2);
      } finally {
        ownClient.destroy();
      }
    }, S3_START_TIMEOUT_MS);
  });
});
