import { Client, WorkflowHandle } from '@temporalio/client';
import { sourceWorkflowId } from '../../contract/ids';
import { OrganizationId, SourceName, SourceStatus } from '../../contract/search-attributes';
import { sourceWorkflow } from '../../workflows/source-workflow';

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
    // Half the default: a task lost with a killed worker or a restarted server is handed out again after this long.
    // A task runs one page (or heartbeats while a page runs long), so it never needs more.
    workflowTaskTimeout: '5 seconds',
  });
}
