import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotice {
  at: number;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** The body as sent, for checking signatures. */
  raw: string;
}

/**
 * A local stand-in for a webhook destination on 127.0.0.1: records every POST and answers with whatever status the
 * test sets, so a test can make it fail and recover.
 */
export class WebhookReceiver {
  readonly received: ReceivedNotice[] = [];
  status = 200;
  private server!: Server;
  url = '';

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Recorded as text: a test may assert on a body that is not JSON.
        }
        receiver.received.push({ at: Date.now(), path: req.url ?? '/', headers: req.headers, body, raw: text });
        res.writeHead(receiver.status, { 'Content-Type': 'text/plain' });
        res.end(receiver.status < 300 ? 'ok' : 'receiver says no');
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', () => resolve()));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** Notices POSTed to one path (tests give each destination its own path), answered or not. */
  at(path: string): ReceivedNotice[] {
    return this.received.filter((notice) => notice.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
