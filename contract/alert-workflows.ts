// Inputs and carried state of the alerting workflows: what each run hands to the next across continue-as-new.

/** What a silence watchdog run hands to the next; times are epoch milliseconds. */
export interface SilenceWatchdogCarried {
  lastEventAt: number;
  /** A paused source is not looked at again before this. */
  notBefore: number;
  alertOpen: boolean;
  /** Events signalled while an alert was open and not yet used to resolve it. */
  pendingEventsAt?: number;
  resolveDue?: boolean;
}

export interface SilenceWatchdogInput {
  sourceId: string;
  sourceName: string;
  /** The source workflow, told when an alert opens or resolves so that its AlertOpen attribute follows. */
  sourceWorkflowId: string;
  windowSeconds: number;
  /** Absent on a fresh start: the deadline then comes from PostgreSQL. */
  carried?: SilenceWatchdogCarried;
  /** Continue-as-new after this many wake-ups at the latest (default MAX_WAKEUPS_PER_RUN); tests lower it. */
  maxWakeupsPerRun?: number;
}

export interface AlertDispatcherInput {
  /** Epoch milliseconds of the next key expiry check, carried across continue-as-new. */
  nextKeyCheckAt?: number;
  /** Database time up to which alert changes were announced to the source workflows. */
  announcedUntil?: string | null;
  maxRoundsPerRun?: number;
}
