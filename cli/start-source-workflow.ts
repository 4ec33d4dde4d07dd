import { Client, WorkflowHandle } from '@temporalio/client';
import { sourceWorkflowId } from '../contract/ids';
import { OrganizationId, SourceName, SourceStatus } from '../contract/search-attributes';
import { sourceWorkflow } from '../workflows/source-workflow';

export interface SourceIdentity {
  id: string;
  name: string;
  organizationId: string;
}

/**
 * Starts the source's workflow with only identifiers as input: settings, counters and the key stay in PostgreSQL,
 * so history holds no secret, and a restarted workflow resumes from the checkpoint.
 */
export async function startSourceWorkflow(client: Client, source: SourceIdentity, taskQueue: string): Promise<WorkflowHandle<typeof sourceWorkflow>> {
  return client.workflow.start(sourceWorkflow, {
    workflowId: sourceWorkflowId(source.name),
    taskQueue,
    args: [{ sourceId: source.id, sourceName: source.name, organizationId: source.organizationId }],
    typedSearchAttributes: [
      { key: OrganizationId, value: source.organizationId },
      { key: SourceName, value: source.name },
      { key: SourceStatus, value: 'starting' },
    ],
    staticSummary: `Atlassian audit log source ${source.name}`,
    // A task lost with a killed worker is handed out again after this long, so it bounds how soon another worker
    // resumes the page. While pages follow each other, core heartbeats the task at 80% of it: too short a timeout
    // leaves too little after the heartbeat on a loaded machine, so tasks time out, each new attempt replays the run
    // elsewhere and sources stall; too long a one delays every source of a dead worker as much (docs/chaos.md).
    workflowTaskTimeout: '8 seconds',
  });
}
