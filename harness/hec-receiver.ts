import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

// A Splunk HTTP Event Collector on 127.0.0.1 for the tests, after Splunk's documented protocol: no Splunk runs on this
// machine. It speaks what the sink relies on: POST /services/collector/event with `Authorization: Splunk <token>`,
// gzip bodies, events as JSON objects one after another; with indexer acknowledgement on, the X-Splunk-Request-Channel
// header (a GUID), an ackId per request, and POST /services/collector/ack with {"acks":[ids]} answered by
// {"acks":{"id":true|false}}; errors as {"text","code"} with HEC's codes. Tests make it refuse, stall acks, or go down.

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body's size as sent (compressed when gzipped). */
  bytes: number;
  status: number;
}

export interface IndexedEvent {
  /** The event as sent: time, host, source, sourcetype, index, fields, event. */
  envelope: Record<string, any>;
  channel: string | undefined;
  ackId: number | undefined;
}

export interface HecReceiverOptions {
  /** Tokens it knows, and whether each is enabled. */
  tokens: Record<string, 'enabled' | 'disabled'>;
  /** Indexer acknowledgement on every token. */
  ack?: boolean;
  /** Bodies larger than this on the wire get 413, as splunkd's max_content_length does. */
  maxContentLength?: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DECODED_LIMIT = 64 * 1024 * 1024;

export class HecReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly events: IndexedEvent[] = [];
  /** Every ack query's ids and the answer given. */
  readonly ackQueries: { ids: number[]; answer: Record<string, boolean> }[] = [];
  /** While set, every request gets 503 with code 9, "Server is busy". */
  busy = false;
  /** When set, the `text` of every error reply, in place of Splunk's: a hostile collector may write anything there. */
  replyText: string | undefined;
  /** While set, no ack id is reported as indexed. */
  holdAcks = false;
  url = '';
  private server!: Server;
  private port = 0;
  private readonly nextAckId = new Map<string, number>();

  private constructor(readonly options: HecReceiverOptions) {}

  static async start(options: HecReceiverOptions): Promise<HecReceiver> {
    const receiver = new HecReceiver(options);
    await receiver.up();
    receiver.url = `http://127.0.0.1:${receiver.port}`;
    return receiver;
  }

  /** Listens again, on the same port once it had one. */
  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.answer(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and drops open connections: senders see the connection refused. */
  down(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, json: Record<string, unknown>) => {
      this.requests.push({ path, headers: req.headers, bytes: body.length, status });
      res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(status >= 300 && this.replyText !== undefined ? { ...json, text: this.replyText } : json));
    };
    if (this.options.maxContentLength !== undefined && body.length > this.options.maxContentLength) {
      return reply(413, { text: `Content-Length of ${body.length} too large (maximum is ${this.options.maxContentLength})` });
    }
    if (this.busy) return reply(503, { text: 'Server is busy', code: 9 });
    const authorization = req.headers.authorization;
    if (!authorization) return reply(401, { text: 'Token is required', code: 2 });
    const match = /^Splunk (\S+)$/.exec(authorization);
    if (!match) return reply(401, { text: 'Invalid authorization', code: 3 });
    const token = this.options.tokens[match[1]];
    if (token === undefined) return reply(403, { text: 'Invalid token', code: 4 });
    if (token === 'disabled') return reply(403, { text: 'Token disabled', code: 1 });
    const channel = headerOrQuery(req, 'x-splunk-request-channel', 'channel');
    if (this.options.ack) {
      if (!channel) return reply(400, { text: 'Data channel is missing', code: 10 });
      if (!GUID.test(channel)) return reply(400, { text: 'Invalid data channel', code: 11 });
    }
    if (path === '/services/collector/ack') {
      if (!this.options.ack) return reply(400, { text: 'ACK is disabled', code: 14 });
      return this.answerAckQuery(body, reply);
    }
    if (path !== '/services/collector/event' && path !== '/services/collector') return reply(404, { text: 'The requested URL was not found on this server.', code: 404 });
    let text: string;
    try {
      text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body, { maxOutputLength: DECODED_LIMIT }) : body).toString('utf8');
    } catch {
      return reply(400, { text: 'Invalid data format', code: 6 });
    }
    const envelopes = splitConcatenatedJson(text);
    if (envelopes === undefined) return reply(400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 0 });
    if (envelopes.length === 0) return reply(400, { text: 'No data', code: 5 });
    const missing = envelopes.findIndex((envelope) => !('event' in envelope));
    if (missing >= 0) return reply(400, { text: 'Event field is required', code: 12, 'invalid-event-number': missing });
    const ackId = this.options.ack ? this.takeAckId(channel!) : undefined;
    for (const envelope of envelopes) this.events.push({ envelope, channel, ackId });
    return reply(200, ackId === undefined ? { text: 'Success', code: 0 } : { text: 'Success', code: 0, ackId });
  }

  private answerAckQuery(body: Buffer, reply: (status: number, json: Record<string, unknown>) => void): void {
    let ids: unknown;
    try {
      ids = (JSON.parse(body.toString('utf8')) as { acks?: unknown }).acks;
    } catch {
      return reply(400, { text: 'Invalid data format', code: 6 });
    }
    if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id))) return reply(400, { text: 'Invalid data format', code: 6 });
    const given = new Set(this.events.map((event) => event.ackId));
    const answer = Object.fromEntries(ids.map((id: number) => [String(id), !this.holdAcks && given.has(id)]));
    this.ackQueries.push({ ids, answer });
    return reply(200, { acks: answer });
  }

  private takeAckId(channel: string): number {
    const id = this.nextAckId.get(channel) ?? 0;
    this.nextAckId.set(channel, id + 1);
    return id;
  }

  close(): Promise<void> {
    return this.server.listening ? this.down() : Promise.resolve();
  }
}

function headerOrQuery(req: IncomingMessage, header: string, parameter: string): string | undefined {
  const value = req.headers[header];
  if (typeof value === 'string' && value) return value;
  return new URL(req.url ?? '/', 'http://receiver').searchParams.get(parameter) ?? undefined;
}

/** HEC's event body: JSON objects one after another, with or without whitespace between; undefined when it is not. */
function splitConcatenatedJson(text: string): Record<string, any>[] | undefined {
  // Most senders put one object on each line: read those line by line, and anything else character by character.
  try {
    const lines = text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown);
    if (lines.every((line) => typeof line === 'object' && line !== null && !Array.isArray(line))) return lines as Record<string, any>[];
  } catch {
    // Not one object per line: objects may run on over lines or share one.
  }
  const objects: Record<string, any>[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (depth === 0 && char !== '{') {
      if (/\s/.test(char)) continue;
      return undefined;
    }
    if (char === '"') inString = true;
    else if (char === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (char === '}') {
      depth--;
      if (depth === 0) {
        try {
          objects.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          return undefined;
        }
      }
    }
  }
  return depth === 0 && !inString ? objects : undefined;
}
