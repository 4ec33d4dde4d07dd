import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { WORKER_NODE_FLAGS } from '../../scripts/stack/supervised-worker';
import { startSimulator } from '../../harness/simulator';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { statusQuery } from '../../contract/source-messages';
import { silenceWatchdogWorkflowId, sourceNameOfWorkflow, sourceWorkflowId } from '../../contract/ids';
import { sourceWorkflow } from '../../workflows/source-workflow';
import { silenceWatchdogWorkflow } from '../../workflows/silence-watchdog';
import { MALFORMED_RESPONSE, RATE_LIMITED, TRANSIENT } from '../../contract/failure-types';
import { countEvents, createTestSource, eventually, openTestDatabase } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';
import { RateLimitedError, TransientError } from '../../atlassian/errors';
import { toApplicationFailure } from '../../atlassian/failures';
import { createLogger, PinoTemporalLogger } from '../../workers/logger';
import { expectedRetryLogging } from '../../workers/expected-retries';

type Line = Record<string, unknown> & { level: number; time: string; msg: string };

const INFO = 30;
const WARN = 40;

/** Every line the worker wrote, parsed: a line that is not a JSON object fails the test with the line in view. */
function parseLines(output: string): Line[] {
  return output
    .split('\n')
    .filter((text) => text.trim() !== '')
    .map((text) => {
      let line: unknown;
      try {
        line = JSON.parse(text);
      } catch {
        throw new Error(`not a JSON line: ${text}`);
      }
      expect(line).toEqual(expect.objectContaining({ level: expect.any(Number), time: expect.any(String), msg: expect.any(String) }));
      return line as Line;
    });
}

const count = (lines: Line[], test: (line: Line) => boolean) => lines.filter(test).length;

describe('the worker log', () => {
  it('is one JSON object a line with the run and source, a throttled or retried page is one line, and it holds no key or event', async () => {
    const simulator = await startSimulator({ seed: 77, orgs: [{}], history: { count: 2_500, spanMs: 3600_000 } });
    const db = openTestDatabase();
    const client = await connectClient();
    const worker = new WorkerProcess(`logs-${randomUUID()}`);
    try {
      await worker.ready();
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      // The first requests are refused without a hint of when to come back: the first page backs off, attempt after
      // attempt, and goes through once the refusals are spent.
      simulator.setRateLimit({ form: 'none' });
      simulator.failNext({ kind: 'rate-limited', count: 3 });
      const handle = await startSourceWorkflow(client, source, worker.taskQueue);
      const throttledLines = () => count(parseLines(worker.output), (line) => line.failureType === RATE_LIMITED);
      await eventually(async () => throttledLines(), (n) => n >= 2, 30_000, 50);

      // A later page meets two 5xx answers and then a page the client cannot read, then goes through.
      await eventually(() => countEvents(db, source.id), (n) => n > 0, 30_000, 50);
      simulator.failNext({ kind: 'server-error', count: 3, status: 503 });
      simulator.failNext({ kind: 'invalid-json', count: 1 });
      const status = await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed, 90_000, 200);
      expect(status.errors).toBe(0);
      expect(await countEvents(db, source.id)).toBe(2_500);
      await handle.terminate('test done');
      await worker.stop();

      const lines = parseLines(worker.output);
      expect(lines.some((line) => typeof line.msg === 'string' && line.msg.startsWith('worker polling'))).toBe(true);

      // Every line an activity or a workflow wrote says which run, which source and (for activities) which attempt.
      const inRun = lines.filter((line) => line.workflowId !== undefined || line.activityType !== undefined);
      expect(inRun.length).toBeGreaterThan(0);
      for (const line of inRun) {
        expect(line).toEqual(expect.objectContaining({ workflowId: sourceWorkflowId(source.name), runId: expect.any(String), source: source.name }));
        if (line.activityType !== undefined) expect(line.attempt).toEqual(expect.any(Number));
        expect(line).not.toHaveProperty('taskToken');
      }

      // Throttling and 5xx answers: one concise line per attempt, with what an operator needs and no stack.
      const throttled = lines.filter((line) => line.failureType === RATE_LIMITED);
      const transient = lines.filter((line) => line.failureType === TRANSIENT);
      expect(throttled.length).toBeGreaterThanOrEqual(2);
      expect(transient.length).toBeGreaterThanOrEqual(2);
      for (const line of throttled) {
        expect(line).toEqual(expect.objectContaining({ level: INFO, status: 429, retryInMs: expect.any(Number), attempt: expect.any(Number), activityType: 'ingestPage' }));
        expect(line.msg).toMatch(/retrying in \d+ s$/);
      }
      for (const line of transient) expect(line).toEqual(expect.objectContaining({ level: WARN, status: 503, reason: 'server-error', attempt: expect.any(Number) }));
      for (const line of [...throttled, ...transient]) expect(JSON.stringify(line)).not.toMatch(/\bat \S+ \(|stack/);
      // The SDK's own warning, with its stack trace, is left for the unexpected: here the unreadable page.
      const failed = lines.filter((line) => line.msg === 'Activity failed');
      expect(failed.length).toBe(1);
      expect(failed[0]).toEqual(expect.objectContaining({ level: WARN, source: source.name, err: expect.objectContaining({ failureType: MALFORMED_RESPONSE, stack: expect.stringMatching(/\n\s+at /) }) }));

      // Nothing of the key or of the events: no actor e-mail, no IP address, anywhere in the output.
      expect(worker.output).not.toContain(org.keys.valid);
      const { rows } = await db.query<{ actor_email: string | null; ip: string | null }>('SELECT actor_email, ip FROM events WHERE source_id = $1', [source.id]);
      const bodyValues = new Set(rows.flatMap((row) => [row.actor_email, row.ip]).filter((value): value is string => value !== null && value.length >= 7));
      expect(bodyValues.size).toBeGreaterThan(100);
      for (const value of bodyValues) expect(worker.output).not.toContain(value);
    } finally {
      await worker.stop();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }
  });

  it('carries the SDK core and workflow code too, as JSON, when the level lets them through', async () => {
    const worker = new WorkerProcess(`logs-${randomUUID()}`, { LOG_LEVEL: 'debug' });
    try {
      await worker.ready();
      // The worker starts the task queue's alert dispatcher; its workflow code logs its start through the sink.
      const workflowStarted = (line: Line) => line.msg === 'Workflow started' && line.workflowType === 'alertDispatcherWorkflow';
      await eventually(async () => parseLines(worker.output), (lines) => lines.some(workflowStarted), 30_000, 100);
      await worker.stop();
      const lines = parseLines(worker.output);
      expect(lines.some((line) => line.sdkComponent === 'core')).toBe(true);
      expect(lines.find(workflowStarted)).toEqual(expect.objectContaining({ level: 20, workflowId: expect.stringMatching(/^alert-dispatcher-/), runId: expect.any(String) }));
    } finally {
      await worker.stop();
    }
  });

  it.each([
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL: "verbose" is not one of trace, debug, info, warn, error'],
    ['LOG_FORMAT', 'xml', 'LOG_FORMAT: "xml" is not one of json, pretty'],
    ['OUTBOUND_ALLOWED_NETWORKS', '10.0.0.0/8,metadata.internal', 'OUTBOUND_ALLOWED_NETWORKS: "metadata.internal" is not a network such as 10.1.2.0/24, 127.0.0.1/32 or ::1/128'],
  ])('refuses a %s it does not know, in one line', (name, value, message) => {
    const result = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, 'workers/main.ts'], {
      cwd: path.join(__dirname, '..', '..'),
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused', [name]: value },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${message}\n`);
  });
});

describe('the source a log line names', () => {
  it('is read back from the workflow id, the watchdog told apart by its type, or by its suffix when the line has no type', () => {
    const own = sourceWorkflowId('acme-silence-watchdog');
    const watchdog = silenceWatchdogWorkflowId(sourceWorkflowId('acme'));
    expect(sourceNameOfWorkflow(own, sourceWorkflow.name)).toBe('acme-silence-watchdog');
    expect(sourceNameOfWorkflow(watchdog, silenceWatchdogWorkflow.name)).toBe('acme');
    expect(sourceNameOfWorkflow(watchdog)).toBe('acme');
    expect(sourceNameOfWorkflow(sourceWorkflowId('acme'))).toBe('acme');
    expect(sourceNameOfWorkflow('alert-dispatcher-atlassian-audit', 'alertDispatcherWorkflow')).toBeUndefined();
    expect(sourceNameOfWorkflow('alert-dispatcher-atlassian-audit')).toBeUndefined();
  });
});

/** The worker's logger at info, writing JSON lines into memory. */
function capturedLogger() {
  const written: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      written.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, destination), lines: () => parseLines(written.join('')) };
}

describe('one line per expected retry', () => {
  /** Runs an activity that throws `failure` on the given attempt, with the worker's interceptor and logger. */
  async function linesOfAttempt(attempt: number, failure: unknown): Promise<Line[]> {
    const captured = capturedLogger();
    const environment = new MockActivityEnvironment(
      { attempt, activityType: 'ingestPage', retryPolicy: { maximumAttempts: 6 } },
      { logger: new PinoTemporalLogger(captured.logger), interceptors: [expectedRetryLogging] },
    );
    await expect(environment.run(async () => Promise.reject(failure))).rejects.toBe(failure);
    return captured.lines();
  }

  it('says when a throttled page is tried again, at info', async () => {
    const failure = toApplicationFailure(new RateLimitedError({ status: 429, code: 'ADMIN-429-1', message: 'throttled', retryAfterMs: 12_400 }), 2);
    const lines = await linesOfAttempt(2, failure);
    expect(lines).toEqual([expect.objectContaining({ level: INFO, msg: 'throttled; retrying in 13 s', status: 429, code: 'ADMIN-429-1', retryInMs: 12_400, attempt: 2 })]);
  });

  it('warns once the last attempt of the retry policy was throttled', async () => {
    const failure = toApplicationFailure(new RateLimitedError({ status: 429, code: null, message: 'throttled', retryAfterMs: 1_000 }), 6);
    const lines = await linesOfAttempt(6, failure);
    expect(lines).toEqual([expect.objectContaining({ level: WARN, msg: 'throttled; no attempts left', attempt: 6 })]);
  });

  it('warns about a 5xx, with its reason', async () => {
    const failure = toApplicationFailure(new TransientError({ status: 502, code: null, message: 'bad gateway', reason: 'server-error' }), 1);
    const lines = await linesOfAttempt(1, failure);
    expect(lines).toEqual([expect.objectContaining({ level: WARN, msg: 'bad gateway; retrying', status: 502, reason: 'server-error', failureType: TRANSIENT })]);
  });

  it('leaves an unexpected failure to the SDK, whose warning keeps the stack', async () => {
    const failure = ApplicationFailure.create({ message: 'the checkpoint moved during this attempt', type: 'CheckpointMoved' });
    const lines = await linesOfAttempt(1, failure);
    expect(lines).toEqual([expect.objectContaining({ level: WARN, msg: 'Activity failed', err: expect.objectContaining({ failureType: 'CheckpointMoved', stack: expect.stringMatching(/\n\s+at /) }) })]);
  });
});

describe('an error in a log line', () => {
  it('is its class, message, stack and code, and nothing a library hung on it', () => {
    const captured = capturedLogger();
    const error = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      client: { connectionParameters: { user: 'audit', host: '127.0.0.1' }, secretish: 'x'.repeat(10_000) },
    });
    captured.logger.warn({ err: new Error('page failed', { cause: error }) }, 'a failure');
    const [line] = captured.lines();
    expect(Object.keys(line.err as object).sort()).toEqual(['message', 'stack', 'type']);
    expect((line.err as { message: string }).message).toBe('page failed: terminating connection due to administrator command');
    captured.logger.warn({ err: error }, 'a failure');
    expect(captured.lines()[1].err).toEqual({ type: 'Error', message: error.message, stack: error.stack, code: '57P01' });
    expect(JSON.stringify(captured.lines())).not.toMatch(/connectionParameters|secretish|xxxx/);
  });
});
