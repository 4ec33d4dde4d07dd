/**
 * `npm run chaos` (`-- --quick` for the small run `make test` does): the cluster profile under faults. Three workers
 * and many sources backfill from the simulator, which injects API faults, while this runner SIGKILLs workers,
 * restarts the Temporal server (SIGTERM and SIGKILL) and PostgreSQL, and pauses, resumes and re-times sources. At the
 * end it compares every source's rows with the simulator's events by id and prints the figures. A benchmark: it
 * prints what it saw and exits non-zero when anything was lost or doubled, it does not time a test.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startSimulator } from '../simulator/server';
import { startClusterStack } from '../scripts/stack/cluster-stack';
import { freePort } from '../scripts/stack/processes';
import { startSourceWorkflow } from '../scripts/source/start-source-workflow';
import { pauseSignal, resumeSignal, setIntervalUpdate } from '../contract/source-messages';
import { createCredentialCipher } from '../store/credentials';
import { openDatabase } from '../store/database';
import { insertBenchSource } from './bench-environment';
import { PaceMeter } from './chaos-pace';

const quick = process.argv.includes('--quick');
const SOURCES = quick ? 6 : 40;
const EVENTS_PER_SOURCE = quick ? 30_000 : 25_000;
/** Each API response takes this long, so that a source pages at a steady pace the faults can be measured against. */
const API_LATENCY_MS = 400;
const WORKERS = 3;
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

type FaultKind = 'worker SIGKILL' | 'worker SIGTERM' | 'server SIGKILL' | 'server SIGTERM' | 'PostgreSQL restart' | 'pause/resume' | 'interval change';

async function main(): Promise<void> {
  const started = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'audit-chaos-'));
  chmodSync(workDir, 0o755);
  process.env.CREDENTIALS_KEY = randomBytes(32).toString('base64');
  const cipher = createCredentialCipher(Buffer.from(process.env.CREDENTIALS_KEY, 'base64'));

  // API faults on every org: 5xx, connection resets, truncated bodies, 429s; late events are the simulator's default 2%.
  const simulator = await startSimulator({
    seed: 14,
    orgs: Array.from({ length: SOURCES }, () => ({})),
    history: { count: EVENTS_PER_SOURCE, spanMs: 5 * 24 * 3600_000 },
    faults: { serverErrorRate: 0.01, serverErrorStatus: 503, resetRate: 0.005, truncatedJsonRate: 0.005, repeatEventRate: 0.005, latencyMs: API_LATENCY_MS },
  });
  const stack = await startClusterStack(log, {
    workers: WORKERS,
    dataDir: workDir,
    temporalPort: await freePort(),
    uiPort: await freePort(),
    postgresPort: await freePort(),
    databaseUrl: undefined,
  });
  const db = openDatabase(stack.env.DATABASE_URL);
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: stack.env.TEMPORAL_NAMESPACE });
  const faults = new Map<FaultKind, number>();
  const count = (kind: FaultKind) => faults.set(kind, (faults.get(kind) ?? 0) + 1);
  const recoveries: { kind: string; seconds: number }[] = [];
  const shutdownSeconds: number[] = [];
  /** A graceful stop, as a deployment's rollout does it: the worker must exit on its own, within bounded time. */
  const terminateWorker = async (worker: (typeof stack.workers)[number]) => {
    const { exited } = worker.process;
    const from = Date.now();
    worker.signal('SIGTERM');
    await exited;
    shutdownSeconds.push((Date.now() - from) / 1000);
  };
  const pace = new PaceMeter(async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n));
  try {
    const sources: { source: { id: string }; org: (typeof simulator.orgs)[number]; handle: Awaited<ReturnType<typeof startSourceWorkflow>> }[] = [];
    for (const [i, org] of simulator.orgs.entries()) {
      const source = await insertBenchSource(db, cipher, `chaos-${i}`, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      sources.push({ source, org, handle: await startSourceWorkflow(client, source, 'atlassian-audit') });
    }
    const expected = SOURCES * EVENTS_PER_SOURCE;
    log(`chaos: ${SOURCES} sources, ${expected} events, ${WORKERS} workers`);
    pace.start();

    const done = () => pace.latest >= expected;
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
    /** One fault, then how long until rows move at the pace they moved before it. */
    const inject = async (kind: FaultKind, act: () => Promise<void>, backAgain: () => Promise<void>) => {
      if (done()) return;
      const before = pace.rate(10);
      log(`fault: ${kind} (pace before ${Math.round(before)} events/s)`);
      count(kind);
      await act();
      await backAgain();
      const seconds = await pace.secondsUntilPace(before * 0.8, quick ? 30 : 60, done);
      if (seconds !== undefined) recoveries.push({ kind, seconds });
      log(`  ${kind}: back to full pace ${seconds === undefined ? '(finished first)' : `${seconds.toFixed(1)} s`} after the part answered again`);
    };
    const settle = () => new Promise((r) => setTimeout(r, (quick ? 3 : 8) * 1000));
    const operator = async () => {
      const { handle } = pick(sources);
      await handle.signal(pauseSignal, 'chaos');
      await new Promise((r) => setTimeout(r, 1000));
      await handle.signal(resumeSignal);
      count('pause/resume');
      await handle.executeUpdate(setIntervalUpdate, { args: [10 + Math.floor(Math.random() * 50)] }).then(() => count('interval change'));
    };

    const plan: (() => Promise<void>)[] = [
      () => inject('server SIGKILL', async () => stack.temporal.supervisor.signal('SIGKILL'), () => stack.temporal.untilAnswering()),
      () => inject('worker SIGKILL', async () => pick(stack.workers).signal('SIGKILL'), async () => undefined),
      () => inject('worker SIGTERM', () => terminateWorker(pick(stack.workers)), async () => undefined),
      () => inject('PostgreSQL restart', () => stack.database!.restart!(), async () => undefined),
      () => inject('server SIGTERM', async () => stack.temporal.supervisor.signal('SIGTERM'), () => stack.temporal.untilAnswering()),
      () => inject('worker SIGKILL', async () => pick(stack.workers).signal('SIGKILL'), async () => undefined),
      () => inject('worker SIGKILL', async () => pick(stack.workers).signal('SIGKILL'), async () => undefined),
    ];
    const rounds = quick ? 1 : 20;
    for (let round = 0; round < rounds && !done(); round++) {
      for (const step of plan) {
        await settle();
        await operator().catch((err: Error) => log(`operator: ${err.message}`));
        await step();
      }
    }
    await pace.until(done, quick ? 600 : 3600);

    let lost = 0;
    let doubled = 0;
    for (const { source, org } of sources) {
      const { rows } = await db.query<{ event_id: string; n: number }>('SELECT event_id, count(*)::int AS n FROM events WHERE source_id = $1 GROUP BY event_id', [source.id]);
      const stored = new Map(rows.map((r) => [r.event_id, r.n]));
      for (const id of simulator.eventIds(org.id)) if (!stored.has(id)) lost++;
      for (const n of stored.values()) if (n > 1) doubled += n - 1;
    }
    const served = sources.reduce((n, { org }) => n + simulator.eventIds(org.id).length, 0);
    const injected = [...faults.values()].reduce((a, b) => a + b, 0);
    const api = simulator.requestCounts();
    log('--- chaos figures ---');
    log(`events served ${served}, stored ${pace.latest}, lost ${lost}, doubled ${doubled}`);
    log(`faults injected ${injected}: ${[...faults].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    log(`API requests: ${JSON.stringify(api)}`);
    for (const kind of new Set(recoveries.map((r) => r.kind))) {
      const times = recoveries.filter((r) => r.kind === kind).map((r) => r.seconds.toFixed(1));
      log(`recovery to full pace after ${kind}: ${times.join(', ')} s`);
    }
    if (shutdownSeconds.length) log(`worker exit after SIGTERM: ${shutdownSeconds.map((s) => s.toFixed(1)).join(', ')} s`);
    log(`duration ${Math.round((Date.now() - started) / 1000)} s`);
    if (lost || doubled) process.exitCode = 1;
    for (const { handle } of sources) await handle.terminate('chaos done').catch(() => undefined);
  } finally {
    pace.stop();
    await connection.close();
    await db.close();
    await stack.stop();
    await simulator.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`chaos: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
