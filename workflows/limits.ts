/** Bounds an operator may set; shared by the workflow's validators and the operator scripts. */
export const MIN_POLL_INTERVAL_SECONDS = 10;
export const MAX_POLL_INTERVAL_SECONDS = 24 * 60 * 60;
export const DEFAULT_POLL_INTERVAL_SECONDS = 60;

export const DEFAULT_BACKFILL_DAYS = 7;
/** Atlassian keeps 180 days of audit events. */
export const MAX_BACKFILL_DAYS = 180;

export function pollIntervalProblem(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds)) return `interval must be a whole number of seconds, got ${String(seconds)}`;
  if (seconds < MIN_POLL_INTERVAL_SECONDS || seconds > MAX_POLL_INTERVAL_SECONDS) {
    return `interval must be between ${MIN_POLL_INTERVAL_SECONDS} s and ${MAX_POLL_INTERVAL_SECONDS} s (24 h), got ${seconds} s`;
  }
  return undefined;
}

/** Workflow ids derive from the source name, so a source has exactly one workflow and scripts can find it. */
export function sourceWorkflowId(sourceName: string): string {
  return `atlassian-source-${sourceName}`;
}
