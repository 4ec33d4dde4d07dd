import { createWriteStream } from 'node:fs';

// The DevTools protocol of a process started with --inspect, spoken to its worker threads too (the NodeWorker domain):
// the SDK runs workflows in a worker thread of its own, whose heap and CPU profile no in-process API reaches.

type Params = Record<string, unknown>;

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  /** Microseconds from each sample to the one before. */
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
interface Reply {
  id?: number;
  method?: string;
  params?: Params;
  result?: Params;
  error?: { message: string };
}

export class Inspector {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, { resolve(result: Params): void; reject(err: Error): void }>();
  readonly #listeners = new Set<(message: Reply, sessionId?: string) => void>();
  #nextId = 1;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => this.#receive(JSON.parse(String(event.data)) as Reply));
  }

  static async open(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
    });
    return new Inspector(socket);
  }

  /** A command to the main thread, or with `sessionId` to a worker thread (workerThreads). */
  send(method: string, params: Params = {}, sessionId?: string): Promise<Params> {
    const id = this.#nextId++;
    const command = JSON.stringify({ id, method, params });
    this.#socket.send(sessionId ? JSON.stringify({ id: this.#nextId++, method: 'NodeWorker.sendMessageToWorker', params: { sessionId, message: command } }) : command);
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** The session of each worker thread whose script's URL contains `urlPart`. */
  async workerThreads(urlPart: string): Promise<string[]> {
    const sessions: string[] = [];
    const listener = (message: Reply) => {
      const info = message.params as { sessionId: string; workerInfo: { url: string } } | undefined;
      if (message.method === 'NodeWorker.attachedToWorker' && info?.workerInfo.url.includes(urlPart)) sessions.push(info.sessionId);
    };
    this.#listeners.add(listener);
    await this.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
    // The attachments arrive as events right after the reply.
    await new Promise((resolve) => setTimeout(resolve, 500));
    this.#listeners.delete(listener);
    if (sessions.length === 0) throw new Error(`no worker thread running ${urlPart}`);
    return sessions;
  }

  /** A thread's V8 heap after a full collection, in bytes. */
  async heapUsedAfterGc(sessionId?: string): Promise<number> {
    await this.send('HeapProfiler.collectGarbage', {}, sessionId);
    const usage = await this.send('Runtime.getHeapUsage', {}, sessionId);
    return usage.usedSize as number;
  }

  /** Writes a heap snapshot of a thread to `file`. */
  async heapSnapshot(file: string, sessionId?: string): Promise<void> {
    const out = createWriteStream(file);
    const listener = (message: Reply, from?: string) => {
      if (from === sessionId && message.method === 'HeapProfiler.addHeapSnapshotChunk') out.write((message.params as { chunk: string }).chunk);
    };
    this.#listeners.add(listener);
    try {
      await this.send('HeapProfiler.enable', {}, sessionId);
      await this.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, sessionId);
    } finally {
      this.#listeners.delete(listener);
      await new Promise((resolve) => out.end(resolve));
    }
  }

  /** A thread's CPU profile over `seconds`: V8's sampling profiler, as --cpu-prof writes it. */
  async cpuProfile(seconds: number, sessionId?: string): Promise<CpuProfile> {
    await this.send('Profiler.enable', {}, sessionId);
    await this.send('Profiler.start', {}, sessionId);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const { profile } = await this.send('Profiler.stop', {}, sessionId);
    return profile as CpuProfile;
  }

  close(): void {
    this.#socket.close();
  }

  #receive(message: Reply, sessionId?: string): void {
    if (message.method === 'NodeWorker.receivedMessageFromWorker') {
      const inner = message.params as { sessionId: string; message: string };
      this.#receive(JSON.parse(inner.message) as Reply, inner.sessionId);
      return;
    }
    if (message.id !== undefined && this.#pending.has(message.id)) {
      const { resolve, reject } = this.#pending.get(message.id)!;
      this.#pending.delete(message.id);
      if (message.error) reject(new Error(message.error.message));
      else resolve(message.result ?? {});
      return;
    }
    for (const listener of this.#listeners) listener(message, sessionId);
  }
}
