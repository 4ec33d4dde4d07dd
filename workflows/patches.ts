// patched() ids: each marks a change of workflow code that histories recorded before it must replay without.

/** Settings updates store the new value through an activity before applying it (before: the CLI wrote PostgreSQL). */
export const SETTINGS_WRITTEN_BY_WORKFLOW = 'settings-written-by-workflow';

/** Each dispatcher round first resolves the alerts whose rule resolves them after a period. */
export const AUTO_RESOLVE_IN_DISPATCHER = 'auto-resolve-in-dispatcher';

/** Search attributes and memo are written only when they change, and waiting shows as polling: an idle poll writes none. */
export const PUBLISH_ONLY_CHANGES = 'publish-only-changes';

/** Waits end on the source's poll grid (every interval, at an offset from its id) instead of an interval after the cycle. */
export const POLLS_ON_A_GRID = 'polls-on-a-grid';

/** A run continues-as-new past a bound of history events (before: after 200 cycles or when Temporal suggested it). */
export const RUN_BOUNDED_BY_HISTORY = 'run-bounded-by-history';

/**
 * Message handlers hand all their work to the loop, which runs it after the wait that ends each cycle (before: they
 * did it themselves, beside the page loop). Runs with it decide every change above at their start.
 */
export const MESSAGES_APPLIED_BY_LOOP = 'messages-applied-by-loop';

/**
 * While none of its alerts is open, a source tells its silence watchdog of new events at most every few minutes
 * (before: after every cycle that stored any). The watchdog reads PostgreSQL before it alerts, so a late word costs
 * no alert, and most polls then take one workflow task instead of three. New events are what the checkpoint's count
 * gained (before: what this run's pages inserted, which missed the events of a page whose workflow task was lost).
 */
export const WATCHDOG_TOLD_SPARINGLY = 'watchdog-told-sparingly';

/** The silence watchdog writes its search attributes only when they change (before: at every wake-up). */
export const WATCHDOG_PUBLISHES_CHANGES = 'watchdog-publishes-changes';

/** A run continues-as-new past 300 history events (before: 1,000), so that a worker taking a source over replays less. */
export const SHORTER_RUNS = 'shorter-runs';

/**
 * Pages are asked for a batch at a time, in one ingestPage local activity each (before: one page per activity). A
 * batch ends at its first failing page once a page of it committed, so that a failing page keeps a retry budget of its
 * own (activities/page-batch.ts).
 */
export const PAGES_IN_BATCHES = 'pages-in-batches';

/**
 * Between two backfilling cycles the loop waits for an activity's round trip (before: a 1 ms timer, which the server
 * fires up to a second late). Decided at each backfilling cycle's start, so that a polling run writes no marker for it.
 */
export const BACKFILL_CYCLES_WITHOUT_TIMER = 'backfill-cycles-without-timer';

/**
 * A source starts its silence watchdog on the watchdogs' task queue (contract/task-queues.ts), whose workers cache few
 * workflows (before: on its own queue, where each watchdog stayed cached). A watchdog started before moves there at
 * its next continue-as-new.
 */
export const WATCHDOGS_ON_THEIR_QUEUE = 'watchdogs-on-their-queue';

/**
 * A pause, resume or stop that came during the last round of an output's run is applied before the run continues-as-new
 * (before: the new run started without it, so a stop was lost and the output forwarded on). Asked only when such a
 * message waits at a run's end, so that most runs write no marker for it.
 */
export const OUTPUT_MESSAGES_BEFORE_NEW_RUN = 'output-messages-before-new-run';

/**
 * A continued run starts quietly: it records no source status that its previous run recorded already (the status is
 * carried), and it tells a running silence watchdog nothing, since the watchdog already holds the settings the run
 * carries (before: a status activity and a settings signal at every continue-as-new, and a wake-up of the watchdog,
 * which on the watchdogs' queue replays its run). It still starts the watchdog if none runs. Decided only by a
 * continued run, so that a fresh start writes no marker for it.
 */
export const CONTINUED_RUNS_START_QUIETLY = 'continued-runs-start-quietly';

/** A release name: 'v' + package.json's version (releases.json lists them in order). */
type Release = `v${number}.${number}.${number}`;

/**
 * The release that introduced each patch and the one that deprecated it. One step per release: a patch introduced in
 * release R is deprecated (deprecatePatch) in R+1 and deleted, with its entry, in R+2.
 */
export const PATCH_RELEASES: Readonly<Record<string, { introducedIn: Release; deprecatedIn?: Release }>> = {
  [SETTINGS_WRITTEN_BY_WORKFLOW]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [AUTO_RESOLVE_IN_DISPATCHER]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [PUBLISH_ONLY_CHANGES]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [POLLS_ON_A_GRID]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [RUN_BOUNDED_BY_HISTORY]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [MESSAGES_APPLIED_BY_LOOP]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [WATCHDOG_TOLD_SPARINGLY]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [WATCHDOG_PUBLISHES_CHANGES]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [SHORTER_RUNS]: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' },
  [PAGES_IN_BATCHES]: { introducedIn: 'v0.2.0' },
  [BACKFILL_CYCLES_WITHOUT_TIMER]: { introducedIn: 'v0.2.0' },
  [WATCHDOGS_ON_THEIR_QUEUE]: { introducedIn: 'v0.2.0' },
  [OUTPUT_MESSAGES_BEFORE_NEW_RUN]: { introducedIn: 'v0.2.0' },
  [CONTINUED_RUNS_START_QUIETLY]: { introducedIn: 'v0.2.0' },
};
