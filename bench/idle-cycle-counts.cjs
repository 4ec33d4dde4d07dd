'use strict';
// Preloaded (--require) into a benchmark's worker process by `npm run bench:scale -- --count`: counts what the worker
// does, so that the bench can print it per cycle. In each workflow thread: the SDK's timed entries into the VM (each
// one a `vm.runInContext` with a timeout, for which Node starts a watchdog thread), by the SDK function entered;
// activations, their jobs and the commands they conclude with, by kind. In the main thread: PostgreSQL statements, by
// their opening words. Every thread writes its running totals to IDLE_CYCLE_COUNTS_DIR once a second; nothing is
// counted without it. A measuring aid only: the product never loads it.
const { isMainThread, threadId } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const dir = process.env.IDLE_CYCLE_COUNTS_DIR;
if (dir) {
  const counts = {};
  const count = (key) => (counts[key] = (counts[key] ?? 0) + 1);
  if (isMainThread) countStatements(count);
  else countWorkflowThread(count);
  const file = path.join(dir, `${process.pid}-${threadId}.json`);
  // Renamed into place, so that the bench never reads half a file.
  const write = () => {
    fs.writeFileSync(`${file}.partial`, JSON.stringify(counts));
    fs.renameSync(`${file}.partial`, file);
  };
  setInterval(write, 1000).unref();
}

/** The name of the one field a protobuf oneof message (a job, a command) has set, past what every one carries. */
function kindOf(message) {
  return Object.keys(message).find((key) => message[key] != null && key !== 'userMetadata') ?? 'unknown';
}

function countWorkflowThread(count) {
  const runInContext = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function (context, options) {
    // The reusable VM names the workflow function it calls into just before entering (reusable-vm.js).
    if (options?.timeout !== undefined) count(`timed VM entry: ${context.__temporal_args?.[1] ?? 'other'}`);
    return runInContext.call(this, context, options);
  };
  const { BaseVMWorkflow } = require(require.resolve('@temporalio/worker/lib/workflow/vm-shared', { paths: [__dirname] }));
  const activate = BaseVMWorkflow.prototype.activate;
  BaseVMWorkflow.prototype.activate = async function (activation) {
    count('activations');
    for (const job of activation.jobs ?? []) count(`job: ${kindOf(job)}`);
    const completion = await activate.call(this, activation);
    for (const command of completion?.successful?.commands ?? []) count(`command: ${kindOf(command)}`);
    return completion;
  };
}

function countStatements(count) {
  const { Client } = require(require.resolve('pg', { paths: [__dirname] }));
  const query = Client.prototype.query;
  Client.prototype.query = function (statement, ...rest) {
    const text = typeof statement === 'string' ? statement : statement?.text;
    if (typeof text === 'string') count(`SQL: ${text.replace(/\s+/g, ' ').trim().slice(0, 48)}`);
    return query.call(this, statement, ...rest);
  };
}
