import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedBatch {
  at: number;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The NDJSON lines, parsed; the body decompressed first when it came gzipped. */
  records: Record<string, any>[];
  /** The body as it was signed: the NDJSON bytes, and their text. */
  bytes: Buffer;
  text: string;
}

/**
 * A local HTTP output destination on 127.0.0.1: records every POST (what it answered included) and answers with the
 * status the test sets; it can also go down altogether (connections refused) and come back on the same port.
 */
export class HttpReceiver {
  readonly received: ReceivedBatch[] = [];
  status = 200;
  private server: Server | undefined;
  private port = 0;

  static async start(): Promise<HttpReceiver> {
    const receiver = new HttpReceiver();
    await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/ingest`;
  }

  /** Records that the receiver answered with a 2xx: what it took. */
  accepted(): Record<string, any>[] {
    return this.received.filter((batch) => batch.status < 300).flatMap((batch) => batch.records);
  }

  /** Keeps what a POST brought; a receiver that must not hold every batch (the chaos run's) keeps less. */
  protected take(batch: ReceivedBatch): void {
    this.received.push(batch);
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const bytes = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
        const text = bytes.toString('utf8');
        const records = text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line));
        const status = this.status;
        this.take({ at: Date.now(), status, headers: req.headers, records, bytes, text });
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(status < 300 ? 'ok' : 'receiver says no');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Down: the port refuses connections until up() again. */
  down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  close(): Promise<void> {
    return this.down();
  }
}
