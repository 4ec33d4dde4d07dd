import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { statusQuery } from '../contract/source-messages';
import { startSourceWorkflow } from '../cli/start-source-workflow';
import { createCredentialCipher } from '../store/credentials';
import { MAX_HISTORY_EVENTS_PER_RUN } from '../workflows/run-length';
import { workflowBundleOptions } from '../workers/workflow-bundle-options';
import { DAY_MS, insertBenchSource, median, openBenchStack, runBenchWorker } from './bench-environment';
import { eventually } from '../harness/sources';
import { quietLogger } from '../harness/test-stack';

// What a worker that takes a source over (its own worker died, or the task timed out) pays before the next page: it
// replays the source's whole run. One source backfills one-event pages, enough of them for its runs to end at the
// history bound (MAX_HISTORY_EVENTS_PER_RUN; a cycle of 50 pages adds about eight events); then each run is replayed,
// one after another on one replay worker, and timed. Prints each run's events, wall time and CPU time, and the CPU per
// history event.
// Usage: npm run bench:takeover-replay -- [--pages 4000]

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pages: { type: 'string', default: '4000' } } });
  const pages = Number(values.pages);
  if (!Number.isInteger(pages) || pages < 1) throw new Error('--pages takes a positive whole number');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const stack = await openBenchStack('takeover-replay', { seed: 47, orgs: [{}], maxPageSize: 1, history: { count: pages, spanMs: DAY_MS } });
  const cipher = createCredentialCipher(randomBytes(32));
  const taskQueue = 'takeover-replay';
  const worker = await runBenchWorker(stack, { db: stack.db, cipher }, taskQueue);
  try {
    const org = stack.simulator.orgs[0];
    const source = await insertBenchSource(stack.db, cipher, 'takeover', { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: stack.simulator.url }, { pollIntervalSeconds: 60 });
    const handle = await startSourceWorkflow(stack.client, source, taskQueue);
    await eventually(() => handle.query(statusQuery), (status) => status.backfill.completed, 600_000, 500);
    const runs: temporal.api.history.v1.IHistory[] = [];
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      runs.unshift(await stack.client.workflow.getHandle(handle.workflowId, run.runId).fetchHistory());
    }
    await handle.terminate('measured');
    console.log(`${pages} one-event pages backfilled in ${runs.length} runs (history bound ${MAX_HISTORY_EVENTS_PER_RUN} events); replaying each full one:`);

    const workflowBundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietLogger });
    // The last run, short and cut off by the terminate, goes first: its time includes the replay worker's start.
    const [warmUp, ...full] = [runs[runs.length - 1], ...runs.slice(0, -1)];
    const replays = Worker.runReplayHistories({ workflowBundle }, [warmUp, ...full].map((history) => ({ workflowId: handle.workflowId, history })));
    await replays.next();
    const perEvent: number[] = [];
    for (const history of full) {
      const [wallStart, cpuStart] = [performance.now(), process.cpuUsage()];
      const { value: result } = await replays.next();
      const cpu = process.cpuUsage(cpuStart);
      if (result?.error) throw new Error(`run ${perEvent.length + 1} did not replay: ${(result.error as Error).message}`);
      const [events, cpuMs] = [history.events?.length ?? 0, (cpu.user + cpu.system) / 1000];
      perEvent.push(cpuMs / events);
      console.log(`  run ${perEvent.length}: ${events} events, ${(performance.now() - wallStart).toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (${(cpuMs / events).toFixed(2)} ms an event)`);
    }
    if (!perEvent.length) throw new Error('no run reached the history bound: give more --pages');
    const typical = median(perEvent);
    console.log(`median ${typical.toFixed(2)} ms of CPU an event: a takeover of a run at the bound replays about ${(typical * MAX_HISTORY_EVENTS_PER_RUN).toFixed(0)} ms of CPU first`);
  } finally {
    await worker.stop().catch((err: Error) => console.error(`worker stop: ${err.message}`));
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
