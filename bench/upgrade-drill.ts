/**
 * `npm run --silent drill:upgrade`: the upgrade from the previous release to this checkout, as an operator makes it.
 * The previous release (releases.json: its commit, tags or not) is checked out into a temporary git worktree and
 * installed there. Its workers migrate an empty database; its CLI adds sources that backfill from the simulator and
 * then poll, and an HTTP output that forwards their events; one source goes quiet until its silence alert opens. Then
 * its workers stop and this checkout's workers start in their place, migrate onwards and take over every run
 * mid-flight. The drill fails (non-zero exit) unless every source goes on storing each event exactly once, the output
 * forwards every one, no workflow task failed (a nondeterminism error fails the task that replays the previous
 * release's history), and the silence alert was resolved, once. However it ends, it stops what it started and removes
 * its worktree.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { ALLOW_INSECURE_LOOPBACK_HTTP_ENV, ALLOWED_BASE_URLS_ENV } from '../config/api-base-urls';
import { ALLOW_SHORT_WINDOWS_ENV } from '../contract/settings';
import type { Database } from '../store/database';
import { HttpReceiver } from '../harness/http-receiver';
import { currentRelease, previousRelease, type PublishedRelease } from '../harness/releases';
import { startSimulator, type RunningSimulator } from '../harness/simulator';
import { eventually, openTestDatabase, testCredentialsKey } from '../harness/sources';
import { startTestStack, stopTestStack } from '../harness/test-stack';
import { connectClient } from '../harness/worker';
import { WorkerProcess } from '../harness/worker-process';

const run = promisify(execFile);
const root = path.join(__dirname, '..');
const TASK_QUEUE = 'upgrade-drill';
const SOURCES = ['drill-a', 'drill-b', 'drill-c'];
/** The source that goes quiet on the previous release: short enough to open within the drill, long enough that the
 * polls of the new release (every 10 s, the shortest interval) keep it from opening twice. */
const QUIET_SOURCE = 'drill-a';
const QUIET_WINDOW = '30s';
const KEY_VARIABLE = 'AUDIT_SECRET_DRILL_KEY';
const URL_VARIABLE = 'AUDIT_SECRET_DRILL_URL';
const NEW_EVENT_ROUNDS = 4;

type Step = () => Promise<unknown>;
const undo: Step[] = [];

async function main(): Promise<void> {
  const previous = previousRelease();
  const current = currentRelease();
  say(`${previous.name} (${previous.commit.slice(0, 7)}) -> ${current}`);
  const tree = await checkOut(previous);

  await startTestStack({ migrate: false });
  undo.push(stopTestStack);
  const simulator = await startSimulator({ seed: 29, orgs: SOURCES.map(() => ({})), history: { count: 1_500, spanMs: 24 * 3600_000 } });
  undo.push(() => simulator.close());
  const db = openTestDatabase();
  undo.push(() => db.close());
  const client = await connectClient();
  undo.push(() => client.connection.close());
  const receiver = await HttpReceiver.start();
  undo.push(() => receiver.close());

  let worker = startWorker(tree);
  let running = previous.name;
  const stoppedOutputs: Record<string, string> = {};
  const logs = () => ({ ...stoppedOutputs, [running]: worker.output });
  await worker.ready(240_000);
  say(`${previous.name} worker polling; adding sources with ${previous.name}'s CLI`);
  for (const [index, name] of SOURCES.entries()) {
    const org = simulator.orgs[index];
    const key = simulator.addKey(org.id, 'valid');
    const window = name === QUIET_SOURCE ? QUIET_WINDOW : '24h';
    await cli(tree, ['add', name, '--org-id', org.id, '--api-key-env', KEY_VARIABLE, '--interval', '10s', '--silence-window', window, '--api-base-url', simulator.url], { [KEY_VARIABLE]: key });
  }
  await cli(tree, ['outputs', 'add', 'drill-out', '--kind', 'http', '--url-env', URL_VARIABLE, '--batch-age', '1s'], { [URL_VARIABLE]: receiver.url });
  const ids = await sourceIds(db);
  // A run that cannot replay stores nothing more: the wait ends at the first nondeterminism a worker logs, and a wait
  // that fails says which workflow tasks failed.
  const stored = (what: string) => allStored(db, simulator, ids, what, () => nondeterminismInLogs(logs()));
  const explained = <T>(step: Promise<T>) =>
    step.catch(async (err: Error) => {
      throw new Error([err.message, ...(await failedWorkflowTasks(client))].join('\n  '));
    });
  await explained(stored('backfill on the previous release'));
  for (const name of SOURCES.filter((source) => source !== QUIET_SOURCE)) simulator.addEvents(orgOf(simulator, name), { count: 7 });
  await explained(stored('a poll on the previous release'));
  await eventually(() => silenceAlerts(db, ids[QUIET_SOURCE]), (alerts) => alerts.some((a) => a.status === 'open'), 90_000, 500);
  say(`backfilled and polled on ${previous.name}; ${QUIET_SOURCE}'s silence alert is open`);

  await worker.stop();
  stoppedOutputs[previous.name] = worker.output;
  running = current;
  for (const name of SOURCES) simulator.addEvents(orgOf(simulator, name), { count: 11 });
  worker = startWorker(root);
  await worker.ready(240_000);
  say(`${current} workers took over`);
  for (let round = 1; round <= NEW_EVENT_ROUNDS; round++) {
    for (const name of SOURCES) simulator.addEvents(orgOf(simulator, name), { count: 5 + round });
    await explained(stored(`round ${round} on ${current}`));
  }
  // Taken while events still come: once they stop, the quiet source's short window would rightly open another alert.
  const alertsAfterUpgrade = await explained(eventually(() => silenceAlerts(db, ids[QUIET_SOURCE]), (alerts) => alerts.every((a) => a.status === 'resolved'), 60_000, 500));
  // The output's contract is at least once: every stored event reaches the receiver; a repeat is counted, not a failure.
  const forwarded = () => new Set(receiver.accepted().map((record) => String(record.id)));
  const allEvents = SOURCES.flatMap((name) => simulator.eventIds(orgOf(simulator, name)));
  await explained(
    eventually(async () => allEvents.filter((id) => !forwarded().has(id)).length, (missing) => missing === 0, 120_000, 1_000).catch((err: Error) => {
      throw new Error(`output drill-out: not every event forwarded (${err.message})`);
    }),
  );

  const problems = [
    ...(await exactlyOnce(db, simulator, ids)),
    ...(await failedWorkflowTasks(client)),
    ...alertProblems(alertsAfterUpgrade),
    ...nondeterminismInLogs(logs()),
  ];
  if (problems.length > 0) throw new Error(`the upgrade broke:\n  ${problems.join('\n  ')}`);
  const counts = await Promise.all(SOURCES.map(async (name) => `${name} ${(await storedIds(db, ids[name])).length}`));
  const repeats = receiver.accepted().length - forwarded().size;
  say(`passed: every event stored once (${counts.join(', ')}) and forwarded (${repeats} repeated), no workflow task failed, the silence alert resolved once`);
}

/** The previous release in a worktree of its own, installed from the lockfile it shipped with. */
async function checkOut(release: PublishedRelease): Promise<string> {
  await run('git', ['-C', root, 'cat-file', '-e', `${release.commit}^{commit}`]).catch(() => {
    throw new Error(`${release.name}'s commit ${release.commit} is not in this clone: fetch main's whole history (git fetch --unshallow)`);
  });
  const tree = mkdtempSync(path.join(os.tmpdir(), `upgrade-drill-${release.name}-`));
  undo.push(async () => {
    await run('git', ['-C', root, 'worktree', 'remove', '--force', tree]).catch(() => undefined);
    rmSync(tree, { recursive: true, force: true });
    await run('git', ['-C', root, 'worktree', 'prune']);
  });
  await run('git', ['-C', root, 'worktree', 'add', '--detach', tree, release.commit]);
  say(`${release.name} checked out in ${tree}; npm ci`);
  await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: tree, maxBuffer: 64 * 1024 * 1024 });
  return tree;
}

function startWorker(tree: string): WorkerProcess {
  const worker = new WorkerProcess(TASK_QUEUE, {}, undefined, tree);
  undo.push(() => worker.stop());
  return worker;
}

/** The release's own operator CLI, as its operators run it (`npm run source`), on the drill's stack. */
async function cli(tree: string, args: string[], extraEnv: Record<string, string>): Promise<void> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: process.env.DATABASE_URL,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    CREDENTIALS_KEY: testCredentialsKey,
    [ALLOWED_BASE_URLS_ENV]: process.env[ALLOWED_BASE_URLS_ENV],
    [ALLOW_INSECURE_LOOPBACK_HTTP_ENV]: process.env[ALLOW_INSECURE_LOOPBACK_HTTP_ENV],
    OUTBOUND_ALLOWED_NETWORKS: process.env.OUTBOUND_ALLOWED_NETWORKS,
    [ALLOW_SHORT_WINDOWS_ENV]: '1',
    ...extraEnv,
  };
  await run('npm', ['run', '--silent', 'source', '--', ...args], { cwd: tree, env }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`source ${args[0]} failed: ${(err.stderr || err.message).trim()}`);
  });
}

async function sourceIds(db: Database): Promise<Record<string, string>> {
  const { rows } = await db.query<{ name: string; id: string }>('SELECT name, id FROM sources WHERE name = ANY($1)', [SOURCES]);
  return Object.fromEntries(rows.map((row) => [row.name, row.id]));
}

function orgOf(simulator: RunningSimulator, name: string): string {
  return simulator.orgs[SOURCES.indexOf(name)].id;
}

async function storedIds(db: Database, sourceId: string): Promise<string[]> {
  const { rows } = await db.query<{ event_id: string }>('SELECT event_id FROM events WHERE source_id = $1', [sourceId]);
  return rows.map((row) => row.event_id);
}

/** Waits until every source stored as many events as its organization holds, or until `broken` names a problem. */
async function allStored(db: Database, simulator: RunningSimulator, ids: Record<string, string>, what: string, broken: () => string[]): Promise<void> {
  const observe = async () => ({
    missing: await Promise.all(SOURCES.map(async (name) => simulator.eventIds(orgOf(simulator, name)).length - (await storedIds(db, ids[name])).length)),
    problems: broken(),
  });
  const last = await eventually(observe, ({ missing, problems }) => problems.length > 0 || missing.every((n) => n === 0), 180_000, 500).catch((err: Error) => {
    throw new Error(`${what}: not every event stored (${err.message})`);
  });
  if (last.problems.length > 0) throw new Error(`${what}: ${last.problems.join('; ')}`);
}

async function exactlyOnce(db: Database, simulator: RunningSimulator, ids: Record<string, string>): Promise<string[]> {
  const problems: string[] = [];
  for (const name of SOURCES) {
    const stored = await storedIds(db, ids[name]);
    const expected = new Set(simulator.eventIds(orgOf(simulator, name)));
    const unique = new Set(stored);
    const missing = [...expected].filter((id) => !unique.has(id)).length;
    const foreign = [...unique].filter((id) => !expected.has(id)).length;
    if (stored.length !== unique.size || missing || foreign) problems.push(`${name}: ${stored.length - unique.size} doubled, ${missing} missing, ${foreign} unknown`);
  }
  return problems;
}

/** Every workflow task that failed, in every run of every workflow: a replay that diverged fails its task. */
async function failedWorkflowTasks(client: Client): Promise<string[]> {
  const failed = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED;
  const problems: string[] = [];
  for await (const execution of client.workflow.list()) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    for (const event of history.events ?? []) {
      if (event.eventType !== failed) continue;
      const failure = event.workflowTaskFailedEventAttributes?.failure?.message ?? 'no message';
      problems.push(`${execution.workflowId}: workflow task failed: ${failure.split('\n')[0]}`);
    }
  }
  return problems;
}

interface SilenceAlert {
  status: string;
}

async function silenceAlerts(db: Database, sourceId: string): Promise<SilenceAlert[]> {
  const { rows } = await db.query<SilenceAlert>("SELECT status FROM alerts WHERE source_id = $1 AND kind = 'silence' ORDER BY id", [sourceId]);
  return rows;
}

function alertProblems(alerts: SilenceAlert[]): string[] {
  const resolved = alerts.filter((alert) => alert.status === 'resolved').length;
  return alerts.length === 1 && resolved === 1 ? [] : [`${QUIET_SOURCE}: ${alerts.length} silence alert(s), ${resolved} resolved (expected one, resolved)`];
}

function nondeterminismInLogs(outputs: Record<string, string>): string[] {
  return Object.entries(outputs)
    .filter(([, output]) => /nondetermini/i.test(output))
    .map(([release, output]) => `${release} worker logged: ${output.split('\n').find((line) => /nondetermini/i.test(line))!.slice(0, 300)}`);
}

const started = Date.now();
function say(message: string): void {
  console.log(`upgrade drill [${Math.round((Date.now() - started) / 1000)} s]: ${message}`);
}

/** Undoes what was started, newest first, once: a signal during the cleanup of a failure does not start another. */
async function cleanUp(): Promise<void> {
  for (let step = undo.pop(); step; step = undo.pop()) await step().catch((err: Error) => console.error(`upgrade drill: cleanup: ${err.message.split('\n')[0]}`));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(1));
  });
}

void main()
  .then(
    () => 0,
    (err: Error) => {
      console.error(`upgrade drill failed: ${err.message}`);
      return 1;
    },
  )
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
