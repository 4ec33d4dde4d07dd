import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database';
import { DEFAULT_BATCHING, insertOutput, type OutputBatching, type OutputRecord } from '../store/outputs';
import type { SourceRecord } from '../store/sources';
import { HttpReceiver } from './http-receiver';
import { startSimulator, type RunningSimulator } from './simulator';
import { createIdleSource, createTestSource, openTestDatabase, testActivities, testCipher } from './sources';
import { withWorker, type WorkerContext } from './worker';

export interface HttpOutputOptions {
  name?: string;
  sourceIds?: string[];
  batching?: Partial<OutputBatching>;
  lagAlertSeconds?: number;
  gzip?: boolean;
  signingSecret?: string;
}

/** An HTTP output to the receiver, as `outputs add` writes one; the name is unique per call unless given. */
export function createHttpOutput(db: Database, receiver: Pick<HttpReceiver, 'url'>, options: HttpOutputOptions = {}): Promise<OutputRecord> {
  return insertOutput(db, testCipher, {
    name: options.name ?? `out-${randomUUID().slice(0, 8)}`,
    kind: 'http',
    format: 'raw',
    settings: { shownUrl: 'http://127.0.0.1/…', gzip: options.gzip ?? false },
    allSources: options.sourceIds === undefined,
    sourceIds: options.sourceIds ?? [],
    batching: { ...DEFAULT_BATCHING, maxAgeSeconds: 0, ...options.batching },
    lagAlertSeconds: options.lagAlertSeconds ?? 3600,
    secrets: { url: receiver.url, ...(options.signingSecret ? { signingSecret: options.signingSecret } : {}) },
  });
}

export interface IdleSourceToReceiver {
  db: Database;
  receiver: HttpReceiver;
  source: SourceRecord;
  output: OutputRecord;
}

/**
 * An output of one idle source (no workflow: the test stores its events itself) to a receiver of its own, closed after
 * `test` whatever it did.
 */
export async function withIdleSourceToReceiver(outputOptions: Omit<HttpOutputOptions, 'sourceIds'>, test: (fixture: IdleSourceToReceiver) => Promise<void>): Promise<void> {
  const db = openTestDatabase();
  const receiver = await HttpReceiver.start();
  try {
    const source = await createIdleSource(db, testCipher);
    const output = await createHttpOutput(db, receiver, { ...outputOptions, sourceIds: [source.id] });
    await test({ db, receiver, source, output });
  } finally {
    await db.close();
    await receiver.close();
  }
}

export interface SimulatedSourceToReceiver extends IdleSourceToReceiver, WorkerContext {
  simulator: RunningSimulator;
  org: RunningSimulator['orgs'][number];
}

/**
 * An output to a receiver of its own from a source of a simulated organization with `count` events over `spanMs`, and
 * an in-process worker to run their workflows, which the test starts; each closed after `test` whatever it did.
 */
export async function withSimulatedSourceToReceiver(
  history: { seed: number; count: number; spanMs: number },
  outputOptions: Omit<HttpOutputOptions, 'sourceIds'>,
  test: (fixture: SimulatedSourceToReceiver) => Promise<void>,
): Promise<void> {
  const simulator = await startSimulator({ seed: history.seed, orgs: [{}], history: { count: history.count, spanMs: history.spanMs } });
  const receiver = await HttpReceiver.start();
  const db = openTestDatabase();
  try {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
    const output = await createHttpOutput(db, receiver, { ...outputOptions, sourceIds: [source.id] });
    await withWorker(testActivities(db), (context) => test({ ...context, simulator, org, db, receiver, source, output }));
  } finally {
    await db.close();
    await receiver.close();
    await simulator.close();
  }
}
