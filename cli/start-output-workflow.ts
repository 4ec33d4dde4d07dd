import type { Client, WorkflowHandle } from '@temporalio/client';
import { outputWorkflowId } from '../contract/ids';
import { wakeOutputSignal } from '../contract/output-messages';
import { OutputName, OutputStatus } from '../contract/search-attributes';
import { outputWorkflow } from '../workflows/output-workflow';

/**
 * Starts the output's workflow, or wakes it when it runs already, with identifiers only as input: its settings and
 * secrets stay in PostgreSQL.
 */
export async function startOutputWorkflow(client: Client, output: { id: string; name: string }, taskQueue: string): Promise<WorkflowHandle<typeof outputWorkflow>> {
  return client.workflow.signalWithStart(outputWorkflow, {
    workflowId: outputWorkflowId(output.name),
    taskQueue,
    args: [{ outputId: output.id, outputName: output.name }],
    signal: wakeOutputSignal,
    signalArgs: [],
    typedSearchAttributes: [
      { key: OutputName, value: output.name },
      { key: OutputStatus, value: 'starting' },
    ],
    staticSummary: `forwards events to output ${output.name}`,
  });
}
