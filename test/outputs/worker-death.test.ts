import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOutputWorkflow } from '../../outputs/start-output-workflow';
import { DEFAULT_BATCHING, insertOutput } from '../../store/outputs';
import { createIdleSource, eventually, openTestDatabase, testCipher } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';
import { eventsBySeq, positionOf } from './output-kit';
import { storeEvents } from './stored-rows';

/** The output workflow's old heartbeat timeout: a retry after a worker's death came no sooner than this. */
const OLD_HEARTBEAT_TIMEOUT_MS = 120_000;
/** Longer than forwardOutput's heartbeat timeout (10 s), shorter than the HTTP sink's own timeout (30 s). */
const SLOW_REPLY_MS = 18_000;

/** An HTTP destination that holds every reply until the test lets it go, and notes when each POST arrived. */
async function startHoldingReceiver() {
  const posts: Array<{ at: number; idempotencyKey: string; body: string }> = [];
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      posts.push({ at: Date.now(), idempotencyKey: String(req.headers['idempotency-key']), body: Buffer.concat(chunks).toString('utf8') });
      held.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    posts,
    answerAll(status: number) {
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(status).end();
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('an output whose worker dies during a send', () => {
  it('sends the same batch again from another worker within seconds, and a slow send on a live worker is not retried', async () => {
    const db = openTestDatabase();
    const client = await connectClient();
    const receiver = await startHoldingReceiver();
    const taskQueue = `output-worker-death-${randomUUID()}`;
    const workers: WorkerProcess[] = [];
    try {
      const source = await createIdleSource(db, testCipher);
      await storeEvents(db, source, 20);
      const output = await insertOutput(db, testCipher, {
        name: `held-${randomUUID().slice(0, 8)}`,
        kind: 'http',
        format: 'raw',
        settings: { shownUrl: 'http://127.0.0.1/…', gzip: false },
        allSources: false,
        sourceIds: [source.id],
        batching: { ...DEFAULT_BATCHING, maxAgeSeconds: 0 },
        lagAlertSeconds: 3600,
        secrets: { url: receiver.url },
      });
      workers.push(new WorkerProcess(taskQueue));
      await workers[0].ready();
      const handle = await startOutputWorkflow(client, output, taskQueue);

      // The first worker dies while its POST waits for the reply.
      await eventually(() => Promise.resolve(receiver.posts.length), (n) => n === 1, 60_000);
      await workers[0].kill();
      const killedAt = Date.now();
      workers.push(new WorkerProcess(taskQueue));
      await workers[1].ready();

      await eventually(() => Promise.resolve(receiver.posts.length), (n) => n === 2, OLD_HEARTBEAT_TIMEOUT_MS + 30_000, 50);
      const retryAfterMs = receiver.posts[1].at - killedAt;
      process.stdout.write(`output retried ${(retryAfterMs / 1000).toFixed(1)} s after its worker was killed\n`);
      expect(retryAfterMs).toBeLessThan(OLD_HEARTBEAT_TIMEOUT_MS / 2);
      // The very same batch: same range, same records.
      expect(receiver.posts[1].idempotencyKey).toBe(receiver.posts[0].idempotencyKey);
      expect(receiver.posts[1].body).toBe(receiver.posts[0].body);

      // The second worker lives: its send outlasts the heartbeat timeout, and heartbeats keep the attempt alive.
      await new Promise((resolve) => setTimeout(resolve, SLOW_REPLY_MS));
      expect(receiver.posts).toHaveLength(2);
      receiver.answerAll(200);
      const stored = await eventsBySeq(db, source.id);
      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (delivered) => delivered === stored.maxSeq, 30_000);
      const forwarded = receiver.posts[1].body.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id);
      expect(forwarded).toEqual(stored.ids);
      await handle.terminate('test done');
    } finally {
      receiver.answerAll(503);
      for (const worker of workers) await worker.stop();
      await receiver.close();
      await client.connection.close();
      await db.close();
    }
  }, 300_000);
});
