// Ids and bounds shared by the alerting workflows, their activities and the operator scripts. Free of imports so
// that workflow code may use it.

/** One watchdog per source, found by id: a new run of the source workflow re-attaches to it instead of starting another. */
export function silenceWatchdogWorkflowId(sourceWorkflowId: string): string {
  return `${sourceWorkflowId}-silence-watchdog`;
}

/** One delivery loop per task queue; its activities share the outbox with every other deliverer safely. */
export function alertDispatcherWorkflowId(taskQueue: string): string {
  return `alert-dispatcher-${taskQueue}`;
}

/**
 * What a worker accepts as a silence window. The operator-facing floor of 15 minutes is the scripts' to enforce
 * (AUDIT_ALLOW_SHORT_WINDOWS=1 lowers it for tests and demos); a worker honours any stored window in this range.
 */
export const MIN_SILENCE_WINDOW_SECONDS = 1;
export const MAX_SILENCE_WINDOW_SECONDS = 30 * 24 * 60 * 60;

export function silenceWindowOutOfRange(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < MIN_SILENCE_WINDOW_SECONDS || seconds > MAX_SILENCE_WINDOW_SECONDS) {
    return `silence window must be a whole number of seconds from ${MIN_SILENCE_WINDOW_SECONDS} to ${MAX_SILENCE_WINDOW_SECONDS} (30 days), got ${String(seconds)}`;
  }
  return undefined;
}
