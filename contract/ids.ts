// Workflow ids: a contract with running sources, since scripts and workflows find each other by them.

/** Derived from the source name, so a source has exactly one workflow and scripts can find it. */
export function sourceWorkflowId(sourceName: string): string {
  return `atlassian-source-${sourceName}`;
}

/** One watchdog per source, found by id: a new run of the source workflow re-attaches to it instead of starting another. */
export function silenceWatchdogWorkflowId(sourceWorkflowId: string): string {
  return `${sourceWorkflowId}-silence-watchdog`;
}

/** One delivery loop per task queue; its activities share the outbox with every other deliverer safely. */
export function alertDispatcherWorkflowId(taskQueue: string): string {
  return `alert-dispatcher-${taskQueue}`;
}
