import type { Client, WorkflowHandle } from '@temporalio/client';
import { outputWorkflowId } from '../contract/ids';
import { wakeOutputSignal } from '../contract/output-messages';
import type { OutputWorkflowInput } from '../contract/output-workflow';
import { OutputName, OutputStatus } from '../contract/search-attributes';

/**
 * Starts the output's workflow, or wakes it when it runs already: the CLI when an output is added or its sources gain
 * events outside a page, a worker after a page. Its input is identifiers only: settings and secrets stay in PostgreSQL.
 * By type name, since the callers run outside the workflow sandbox (workflows/output-workflow.ts).
 */
export function startOutputWorkflow(client: Client, output: { id: string; name: string }, taskQueue: string): Promise<WorkflowHandle> {
  const input: OutputWorkflowInput = { outputId: output.id, outputName: output.name };
  return client.workflow.signalWithStart('outputWorkflow', {
    workflowId: outputWorkflowId(output.name),
    taskQueue,
    args: [input],
    signal: wakeOutputSignal,
    signalArgs: [],
    typedSearchAttributes: [
      { key: OutputName, value: output.name },
      { key: OutputStatus, value: 'starting' },
    ],
    staticSummary: `forwards events to output ${output.name}`,
  });
}
