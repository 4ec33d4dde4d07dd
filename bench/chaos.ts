/**
 * `npm run chaos` (`-- --quick` for the small run `make test` does): the cluster profile under faults. Three workers
 * backfill many sources from the simulator, which injects API faults (5xx, 429s in the three forms Atlassian sends,
 * resets, truncated bodies, repeated and late events, expired cursors), while this runner SIGKILLs and SIGTERMs
 * workers, restarts the Temporal server (SIGTERM and SIGKILL) and PostgreSQL, and pauses, resumes and re-times
 * sources. A few organizations go quiet for longer than their silence window, again and again. An S3 output and an
 * HTTP output take every source while their destinations go down in turn. At the end it compares every source's rows
 * with the simulator's events by id, the bucket's and the receiver's events with the rows, and the alerts with the
 * silences, and prints the figures. A
 * benchmark: it exits non-zero when anything was lost, doubled, missed or spurious; it does not time a test.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV } from '../config/api-base-urls';
import { startSimulator } from '../harness/simulator';
import { RATE_LIMIT_FORMS } from '../simulator/rate-limit';
import { startClusterStack } from '../scripts/stack/cluster-stack';
import { freePort } from '../scripts/stack/processes';
import type { WorkerSupervisor } from '../scripts/stack/worker-supervisor';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import { pauseSignal, resumeSignal, setIntervalUpdate } from '../contract/source-messages';
import { setSilenceAlarmUpdate } from '../contract/alert-messages';
import { createCredentialCipher } from '../store/credentials';
import { openDatabase } from '../store/database';
import { WebhookReceiver } from '../harness/webhook-receiver';
import { quietLogger } from '../harness/test-stack';
import { workflowBundleOptions } from '../workers/workflow-bundle-options';
import { benchWorkDir, insertBenchSource } from './bench-environment';
import { ProgressMeter, untilAllAsked } from './chaos-pace';
import { checkAlerts, SilenceSchedule } from './chaos-silences';
import { ChaosOutputs } from './chaos-outputs';

const quick = process.argv.includes('--quick');
/**
 * The backfill is held to a steady pace by the API's latency (small pages, each answered after a second or two,
 * under the requests a minute allowed), so that it lasts as long as the faults and a fault's cost shows as the
 * time a source stores nothing. The full run's load is what a 2-core machine carries with the Temporal server,
 * PostgreSQL and three workers: beyond, every process slows and the figures measure the machine, not recovery.
 */
const PROFILE = quick
  ? { backfillSources: 10, eventsPerSource: 5_200, pageSize: 80, apiLatencyMs: 1500, silentSources: 2, processFaults: 7, settleSeconds: 4, watchSeconds: 20, silenceWindowSeconds: 40, outageSeconds: 30, betweenOutagesSeconds: 20 }
  : { backfillSources: 20, eventsPerSource: 50_000, pageSize: 100, apiLatencyMs: 2500, silentSources: 4, processFaults: 105, settleSeconds: 5, watchSeconds: 20, silenceWindowSeconds: 60, outageSeconds: 180, betweenOutagesSeconds: 60 };
const WORKERS = 3;
/** Every source gets live events, so that only the scheduled silences may open a silence alert. */
const LIVE_EVENTS_PER_SECOND = 0.25;
/** The busy sources' silence windows, changed by the operator: all well above any fault's outage. */
const BUSY_WINDOWS_SECONDS = [180, 240, 300];
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

type ProcessFault = 'worker SIGKILL' | 'worker SIGTERM' | 'server SIGKILL' | 'server SIGTERM' | 'PostgreSQL restart';
type OperatorAction = 'pause/resume' | 'interval change' | 'silence window change';
type ApiEpisode = '429 episode' | 'cursor expiry episode';

async function main(): Promise<void> {
  const started = Date.now();
  const workDir = benchWorkDir('chaos');
  process.env.CREDENTIALS_KEY = randomBytes(32).toString('base64');
  const cipher = createCredentialCipher(Buffer.from(process.env.CREDENTIALS_KEY, 'base64'));
  // The simulator answers on loopback http and allow-lists itself; the workers inherit both settings.
  process.env[ALLOW_INSECURE_LOOPBACK_HTTP_ENV] = 'true';
  const simulator = await startSimulator({
    seed: 14,
    orgs: [
      ...Array.from({ length: PROFILE.backfillSources }, () => ({ liveEventsPerSecond: LIVE_EVENTS_PER_SECOND })),
      ...Array.from({ length: PROFILE.silentSources }, () => ({ liveEventsPerSecond: LIVE_EVENTS_PER_SECOND, history: { count: 200 } })),
    ],
    history: { count: PROFILE.eventsPerSource, spanMs: 5 * 24 * 3600_000 },
    maxPageSize: PROFILE.pageSize,
    lateEventRatio: 0.05,
    // Above what a source asks, retries and read-ahead included: a source that spends its window waits out a real 429,
    // which no fault caused. The 429 episodes still send each form.
    rateLimit: { requestsPerMinute: 120, form: 'retry-after-seconds' },
    faults: { serverErrorRate: 0.01, serverErrorStatus: 503, resetRate: 0.005, truncatedJsonRate: 0.005, repeatEventRate: 0.01, latencyMs: PROFILE.apiLatencyMs },
  });
  const receiver = await WebhookReceiver.start();
  // Workers restart dozens of times. Bundling the workflow code at each start (seconds of CPU each)
  // starved the running ones into workflow-task timeouts; bundled once, as the image is at build time.
  const workflowBundle = path.join(workDir, 'workflow-bundle.js');
  writeFileSync(workflowBundle, (await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietLogger })).code);
  // The S3 server and the HTTP receiver of the two outputs, both on loopback, which the workers may reach.
  const outputs = await ChaosOutputs.start(workDir, log);
  const stack = await startClusterStack(log, {
    workers: WORKERS,
    dataDir: workDir,
    temporalPort: await freePort(),
    uiPort: await freePort(),
    postgresPort: await freePort(),
    databaseUrl: undefined,
    workerEnv: { ALERT_WEBHOOK_URL: `${receiver.url}/chaos`, TEMPORAL_WORKFLOW_BUNDLE: workflowBundle, OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1/32' },
  }).catch(async (err: unknown) => {
    await outputs.stop();
    throw err;
  });
  // Stopped by hand, it stops the stack it started rather than leave servers running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stack.stop().finally(() => process.exit(130)));
  const db = openDatabase(stack.env.DATABASE_URL);
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: stack.env.TEMPORAL_NAMESPACE });
  const faults = new Map<ProcessFault | OperatorAction | ApiEpisode, number>();
  const count = (kind: ProcessFault | OperatorAction | ApiEpisode) => faults.set(kind, (faults.get(kind) ?? 0) + 1);
  let processFaults = 0;
  /**
   * Per fault: seconds until every backfilling source asked the API for a page again (resumed), and until each stored
   * one (the API's latency later); undefined when one had not by the watch's end.
   */
  const recoveries: { kind: string; seconds?: number; askedSeconds?: number }[] = [];
  const shutdownSeconds: number[] = [];
  const silences = new SilenceSchedule(simulator, { windowSeconds: PROFILE.silenceWindowSeconds, flowingSeconds: 30, liveEventsPerSecond: LIVE_EVENTS_PER_SECOND });
  const backfillTotal = PROFILE.backfillSources * PROFILE.eventsPerSource;
  const progress = new ProgressMeter(db);
  /** When each organization was last sent a 429: its source then waits out the window, which is no fault's doing. */
  const throttledAt = new Map<string, number>();
  const throttledWithin = (orgId: string, seconds: number) => Date.now() - (throttledAt.get(orgId) ?? -Infinity) < seconds * 1000;
  let stopEpisodes = false;
  try {
    const sources: { source: { id: string; name: string }; org: (typeof simulator.orgs)[number]; silent: boolean; handle: Awaited<ReturnType<typeof startSourceWorkflow>> }[] = [];
    for (const [i, org] of simulator.orgs.entries()) {
      const silent = i >= PROFILE.backfillSources;
      const settings = { pollIntervalSeconds: 10, silenceWindowSeconds: silent ? PROFILE.silenceWindowSeconds : BUSY_WINDOWS_SECONDS[0] };
      const source = await insertBenchSource(db, cipher, `chaos-${silent ? 'silent' : 'busy'}-${i}`, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url }, settings);
      sources.push({ source, org, silent, handle: await startSourceWorkflow(client, source, stack.env.TEMPORAL_TASK_QUEUE ?? 'atlassian-audit') });
    }
    await outputs.add(db, cipher, client, stack.env.TEMPORAL_TASK_QUEUE ?? 'atlassian-audit');
    const busy = sources.filter((s) => !s.silent);
    const silentSources = new Map(sources.filter((s) => s.silent).map((s) => [s.source.id, s.org.id]));
    log(`chaos: ${busy.length} sources backfilling ${backfillTotal} events, ${silentSources.size} going silent, ${WORKERS} workers`);
    progress.start();
    silences.start([...silentSources.values()]);

    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
    const backfilling = () => busy.filter((s) => progress.storedBy(s.source.id) < PROFILE.eventsPerSource);
    const backfilled = () => backfilling().length === 0;
    /** A stop as a deployment's rollout does it: the worker must exit on its own, within bounded time. */
    const terminateWorker = async (worker: (typeof stack.workers)[number]) => {
      const from = Date.now();
      await stopProcess(worker, 'SIGTERM');
      shutdownSeconds.push((Date.now() - from) / 1000);
    };
    /** The server's way back is timed from when it answers again, so the old one must be gone first. */
    const restartServer = (signal: NodeJS.Signals) => async () => {
      await stopProcess(stack.temporal.supervisor, signal);
      await stack.temporal.untilAnswering();
    };
    /** One fault, then how long from the part answering again until every backfilling source has stored a page. */
    const inject = async (kind: ProcessFault, act: () => Promise<void>) => {
      const watched = backfilling().filter((s) => !throttledWithin(s.org.id, 75));
      log(`fault: ${kind}${watched.length ? `, ${watched.length} sources backfilling` : ''}`);
      count(kind);
      processFaults++;
      await act();
      if (!watched.length) return;
      const throttledRecently = (id: string) => throttledWithin(watched.find((s) => s.source.id === id)!.org.id, 75);
      const [{ seconds, stalled }, asked] = await Promise.all([
        progress.untilAllProgressed(watched.map((s) => s.source.id), Date.now(), PROFILE.watchSeconds, throttledRecently),
        untilAllAsked(simulator, watched.map((s) => s.org.id), PROFILE.watchSeconds, (orgId) => throttledWithin(orgId, 75)),
      ]);
      recoveries.push({ kind, seconds, askedSeconds: asked.seconds });
      const slowest = watched.find((s) => s.org.id === asked.slowest)?.source.name;
      const askedLine = asked.seconds === undefined ? `, ${slowest} had not asked the API again` : `, asked the API again within ${asked.seconds.toFixed(1)} s${slowest ? ` (last ${slowest})` : ''}`;
      log(`  ${seconds === undefined ? `stored nothing within ${PROFILE.watchSeconds} s:` : `every source stored a page again within ${seconds.toFixed(1)} s`} of the part answering${askedLine}`);
      for (const id of stalled) log(`    ${await whyStalled(watched.find((s) => s.source.id === id)!)}`);
    };
    const operator = async () => {
      const { handle } = pick(busy);
      await handle.signal(pauseSignal, 'chaos');
      await new Promise((r) => setTimeout(r, 1000));
      await handle.signal(resumeSignal);
      count('pause/resume');
      await handle.executeUpdate(setIntervalUpdate, { args: [10 + Math.floor(Math.random() * 11)] });
      count('interval change');
      await pick(busy).handle.executeUpdate(setSilenceAlarmUpdate, { args: [{ windowSeconds: pick(BUSY_WINDOWS_SECONDS), allowShortWindow: true }] });
      count('silence window change');
    };
    // The operator works beside the faults, not between them: an update waits for the workflow's next task.
    const operating = (async () => {
      while (!stopEpisodes) {
        await operator().catch((err: Error) => log(`operator: ${causes(err)}`));
        await new Promise((r) => setTimeout(r, PROFILE.settleSeconds * 1000));
      }
    })();
    // API episodes beside the rate-based faults: a 429 in each of Atlassian's forms in turn, and cursors that expire.
    const episodes = (async () => {
      for (let n = 0; !stopEpisodes; n++) {
        await new Promise((r) => setTimeout(r, 15_000));
        if (n % 2 === 0) {
          simulator.setRateLimit({ form: RATE_LIMIT_FORMS[(n / 2) % 3] });
          // Never the same organization twice in a row of windows: two 429s back to back hold a source for two
          // minutes, and its silence alarm would rightly say so.
          const { org } = pick(busy.filter((s) => !throttledWithin(s.org.id, 150)));
          simulator.failNext({ kind: 'rate-limited', count: 1, orgId: org.id });
          throttledAt.set(org.id, Date.now());
          count('429 episode');
        } else {
          simulator.setCursorTtl(1000);
          await new Promise((r) => setTimeout(r, 5000));
          simulator.setCursorTtl(null);
          count('cursor expiry episode');
        }
      }
    })();

    // The outputs' destinations go down in turn, beside the process faults that kill workers in the middle of batches.
    const outages = (async () => {
      for (let n = 0; !stopEpisodes; n++) {
        await new Promise((r) => setTimeout(r, PROFILE.betweenOutagesSeconds * 1000));
        if (stopEpisodes) break;
        const which = n % 2 === 0 ? 's3' : 'http';
        log(`outage: the ${which === 's3' ? 'S3 server' : 'HTTP receiver'} goes down for ${PROFILE.outageSeconds} s`);
        await outputs.outage(which, PROFILE.outageSeconds).catch((err: Error) => log(`outage: ${causes(err)}`));
      }
    })();
    const plan: (() => Promise<void>)[] = [
      () => inject('server SIGKILL', restartServer('SIGKILL')),
      () => inject('worker SIGKILL', () => stopProcess(pick(stack.workers), 'SIGKILL')),
      () => inject('worker SIGTERM', () => terminateWorker(pick(stack.workers))),
      () => inject('PostgreSQL restart', () => stack.database!.restart!()),
      () => inject('server SIGTERM', restartServer('SIGTERM')),
      () => inject('worker SIGKILL', () => stopProcess(pick(stack.workers), 'SIGKILL')),
      () => inject('worker SIGKILL', () => stopProcess(pick(stack.workers), 'SIGKILL')),
    ];
    // Silences need time to complete, so the quick run's faults go on until the first silence has.
    const enoughSilences = () => [...silentSources.values()].every((orgId) => silences.silencesOf(orgId) >= 1);
    for (let step = 0; processFaults < PROFILE.processFaults || !backfilled() || !enoughSilences(); step++) {
      await new Promise((r) => setTimeout(r, PROFILE.settleSeconds * 1000));
      await plan[step % plan.length]();
    }
    stopEpisodes = true;
    await Promise.all([episodes, operating, outages]);
    log('faults done; the last silences run their course');
    await silences.stop();
    // Alerts are judged while events still flow: once they stop, every source would rightly fall silent.
    await untilSettled(() => receiver.received.length, 20);
    const alerts = await checkAlerts(db, silentSources, silences, receiver.at('/chaos').map((n) => n.body));

    // Events stop; every source then catches up with what its organization holds.
    for (const { org } of sources) simulator.setLiveRate(org.id, 0);
    const served = () => sources.reduce((n, { org }) => n + simulator.eventIds(org.id).length, 0);
    log('waiting for every source to store its last events');
    await progress.until(() => progress.total >= served(), 300);

    log('waiting for the outputs to deliver every stored event');
    const delivered = await outputs.untilDelivered(db, 600);
    const forwarded = await outputs.check(db);

    let lost = 0;
    let doubled = 0;
    for (const { source, org } of sources) {
      const { rows } = await db.query<{ event_id: string; n: number }>('SELECT event_id, count(*)::int AS n FROM events WHERE source_id = $1 GROUP BY event_id', [source.id]);
      const stored = new Map(rows.map((r) => [r.event_id, r.n]));
      for (const id of simulator.eventIds(org.id)) if (!stored.has(id)) lost++;
      for (const n of stored.values()) if (n > 1) doubled += n - 1;
    }
    log('--- chaos figures ---');
    log(`events served ${served()}, stored ${progress.total}, lost ${lost}, doubled ${doubled}`);
    log(`faults injected: ${processFaults} to processes; ${[...faults].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    log(`API faults served: ${JSON.stringify({ ...simulator.injectedFaults(), '429 total': simulator.rateLimitedCount() })}, requests ${simulator.requestCounts().total}`);
    log(`silence alerts: expected ${alerts.expected}, opened ${alerts.opened}, missed ${alerts.missed}, spurious ${alerts.spurious}, still open ${alerts.unresolved}`);
    for (const line of alerts.unexpected) log(`  unexpected: ${line}`);
    log(`notices delivered once ${alerts.noticesDelivered}, missing ${alerts.noticesMissing}, doubled ${alerts.noticesDoubled} (webhook POSTs ${receiver.received.length})`);
    const figure = (seconds?: number) => (seconds === undefined ? `>${PROFILE.watchSeconds}` : seconds.toFixed(1));
    for (const kind of new Set(recoveries.map((r) => r.kind))) {
      const ofKind = recoveries.filter((r) => r.kind === kind);
      log(`every source asking the API again after ${kind}: ${ofKind.map((r) => figure(r.askedSeconds)).join(', ')} s`);
      log(`every source storing again after ${kind}: ${ofKind.map((r) => figure(r.seconds)).join(', ')} s`);
    }
    log(
      `outputs (${outputs.outages.s3} S3 and ${outputs.outages.http} HTTP outages of ${PROFILE.outageSeconds} s)${delivered ? '' : ', NOT caught up within 600 s'}: ` +
        `S3 ${forwarded.objects} objects, events missing ${forwarded.s3Missing}, doubled ${forwarded.s3Doubled}, not stored ${forwarded.s3Unknown}; ` +
        `HTTP ${forwarded.httpPosts} POSTs, events missing ${forwarded.httpMissing}, duplicates ${forwarded.httpDuplicates}`,
    );
    if (shutdownSeconds.length) log(`worker exit after SIGTERM: max ${Math.max(...shutdownSeconds).toFixed(1)} s`);
    log(`duration ${Math.round((Date.now() - started) / 1000)} s`);
    if (!delivered || forwarded.s3Missing || forwarded.s3Doubled || forwarded.s3Unknown || forwarded.httpMissing) process.exitCode = 1;
    if (lost || doubled || alerts.missed || alerts.spurious || alerts.unresolved || alerts.noticesMissing || alerts.noticesDoubled) process.exitCode = 1;
    for (const { handle } of sources) await handle.terminate('chaos done').catch(() => undefined);
  } finally {
    stopEpisodes = true;
    progress.stop();
    await connection.close();
    await db.close();
    await stack.stop();
    await outputs.stop();
    await receiver.close();
    await simulator.close();
  }
}

/** Signals a supervised process and waits for it to be gone; its supervisor starts it again. */
async function stopProcess(supervisor: WorkerSupervisor, signal: NodeJS.Signals): Promise<void> {
  const { exited } = supervisor.process;
  supervisor.signal(signal);
  await exited;
}

/** What a stalled source's workflow waits for, as the server sees it. */
async function whyStalled({ source, handle }: { source: { name: string }; handle: { describe(): Promise<{ raw: any }> } }): Promise<string> {
  const { raw } = await handle.describe().catch(() => ({ raw: undefined }));
  const task = raw?.pendingWorkflowTask;
  return `${source.name}: history ${raw?.workflowExecutionInfo?.historyLength ?? '?'} events, ${task ? `workflow task ${task.state} attempt ${task.attempt}` : 'no workflow task pending'}`;
}

/** An error's message with its causes' ("Workflow Update failed: Activity task timed out: ..."). */
function causes(err: Error | undefined): string {
  const parts: string[] = [];
  for (let e: Error | undefined = err; e; e = e.cause instanceof Error ? e.cause : undefined) parts.push(e.message);
  return parts.join(': ');
}

/** Until `measure` has not changed for `quietSeconds`. */
async function untilSettled(measure: () => number, quietSeconds: number): Promise<void> {
  let last = measure();
  let since = Date.now();
  while (Date.now() - since < quietSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    if (measure() !== last) [last, since] = [measure(), Date.now()];
  }
}

main().catch((err: Error) => {
  process.stderr.write(`chaos: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
