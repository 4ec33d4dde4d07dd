// Workflow ids: a contract with running sources, since scripts and workflows find each other by them.

const SOURCE_WORKFLOW_PREFIX = 'atlassian-source-';
const WATCHDOG_SUFFIX = '-silence-watchdog';

/** Derived from the source name, so a source has exactly one workflow and scripts can find it. */
export function sourceWorkflowId(sourceName: string): string {
  return `${SOURCE_WORKFLOW_PREFIX}${sourceName}`;
}

/** One watchdog per source, found by id: a new run of the source workflow re-attaches to it instead of starting another. */
export function silenceWatchdogWorkflowId(sourceWorkflowId: string): string {
  return `${sourceWorkflowId}${WATCHDOG_SUFFIX}`;
}

/**
 * The source a source workflow or its watchdog belongs to, read back from the workflow id, for log lines, which know
 * ids only. The workflow type, when the line has it, tells the two apart for certain; without it (the SDK core's
 * lines) an id ending in the watchdog suffix is taken for a watchdog, which misnames only a source whose own name
 * ends in that suffix.
 */
export function sourceNameOfWorkflow(workflowId: string, workflowType?: string): string | undefined {
  if (!workflowId.startsWith(SOURCE_WORKFLOW_PREFIX)) return undefined;
  const rest = workflowId.slice(SOURCE_WORKFLOW_PREFIX.length);
  const isWatchdog = workflowType === undefined ? rest.endsWith(WATCHDOG_SUFFIX) : workflowType === 'silenceWatchdogWorkflow';
  if (isWatchdog) return rest.endsWith(WATCHDOG_SUFFIX) ? rest.slice(0, -WATCHDOG_SUFFIX.length) : undefined;
  return workflowType === undefined || workflowType === 'sourceWorkflow' ? rest : undefined;
}

/** One delivery loop per task queue; its activities share the outbox with every other deliverer safely. */
export function alertDispatcherWorkflowId(taskQueue: string): string {
  return `alert-dispatcher-${taskQueue}`;
}

const OUTPUT_WORKFLOW_PREFIX = 'audit-output-';

/** Derived from the output name: one forwarding workflow per output, found by the CLI and by ingestion's wake-up. */
export function outputWorkflowId(outputName: string): string {
  return `${OUTPUT_WORKFLOW_PREFIX}${outputName}`;
}
