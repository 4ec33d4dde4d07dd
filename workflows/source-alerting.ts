import { getExternalWorkflowHandle, ParentClosePolicy, patched, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { eventsPersistedSignal, silenceSettingsSignal, type SilenceAlarmChange, type SilenceAlarmSettings } from '../contract/alert-messages';
import { silenceWatchdogWorkflowId } from '../contract/ids';
import { silenceWindowProblem } from '../contract/settings';
import type { CarriedState, SourceAlertingState, SourceWorkflowInput } from '../contract/source-workflow';
import { watchdogTaskQueue } from '../contract/task-queues';
import { WATCHDOGS_ON_THEIR_QUEUE } from './patches';
import { silenceWatchdogWorkflow } from './silence-watchdog';
import type { CycleOutcome } from './source-pages';

/** The longest a watchdog goes untold of new events while no alert is open (a quarter of a shorter window). */
const WATCHDOG_NEWS_INTERVAL_MS = 5 * 60_000;

const { loadSourceAlerting, countOpenAlerts, openCredentialsAlert, resolveCredentialsAlert, saveSourceSettings } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * The source workflow's side of alerting: its silence watchdog (started, re-attached after continue-as-new,
 * reconfigured, stopped), its credentials alert, and the AlertOpen flag. The source workflow's loop calls it one
 * call at a time (message handlers hand their work to the loop), so watchdog commands and reads of the open alerts
 * never overlap.
 */
export class SourceAlerting {
  private readonly watchdogId = silenceWatchdogWorkflowId(workflowInfo().workflowId);
  /** When this run last told the watchdog of new events. */
  private watchdogToldAt: number | undefined;

  /** `startsQuietly`: a continued run under CONTINUED_RUNS_START_QUIETLY. */
  constructor(
    private readonly input: SourceWorkflowInput,
    private readonly state: CarriedState,
    private readonly published: () => void,
    private readonly startsQuietly: boolean,
  ) {}

  /** After the source's state is loaded or carried: reads the alarm settings on a fresh start and (re)attaches the watchdog. */
  async start(): Promise<void> {
    if (!this.state.alerting) {
      const stored = await loadSourceAlerting(this.input.sourceId);
      this.state.alerting = { ...stored, credentialsAlertMaybeOpen: true };
    }
    if (this.startsQuietly) await this.startWatchdogIfNoneRuns();
    else await this.syncWatchdog();
  }

  /**
   * A continued run's watchdog, if one runs, was told the settings this run carries by the run that changed them: a
   * word now would only wake it. One is started if none runs (it ended, or was terminated).
   */
  private async startWatchdogIfNoneRuns(): Promise<void> {
    if (this.alerting.silenceEnabled) await this.startWatchdog(this.alerting.silenceWindowSeconds);
  }

  /** After each cycle: restart the silence window if events were persisted, open or resolve the credentials alert. */
  async afterCycle(outcome: CycleOutcome): Promise<void> {
    const alerting = this.alerting;
    // Counting what the checkpoint gained, events stored by a lost workflow task's page still resolve an open alert.
    if (outcome.stored > 0 && alerting.silenceEnabled && this.watchdogWantsNews()) {
      this.watchdogToldAt = Date.now();
      const at = new Date().toISOString();
      const told = await getExternalWorkflowHandle(this.watchdogId).signal(eventsPersistedSignal, { at }).then(() => true, () => false);
      if (!told) await this.syncWatchdog();
    }
    if (outcome.kind === 'rejected') {
      const { openAlerts } = await openCredentialsAlert({ sourceId: this.input.sourceId, failureType: outcome.failureType, reason: outcome.reason });
      alerting.credentialsAlertMaybeOpen = true;
      this.showAlertOpen(openAlerts > 0);
    } else if ((outcome.kind === 'caught-up' || outcome.kind === 'more-pages') && alerting.credentialsAlertMaybeOpen) {
      const { openAlerts } = await resolveCredentialsAlert({ sourceId: this.input.sourceId });
      alerting.credentialsAlertMaybeOpen = false;
      this.showAlertOpen(openAlerts > 0);
    }
  }

  /** The source is being stopped for removal: its alerts end with it. */
  async stopping(reason: string): Promise<void> {
    const alerting = this.state.alerting;
    if (!alerting) return;
    if (alerting.silenceEnabled) await this.signalWatchdog({ enabled: false, windowSeconds: alerting.silenceWindowSeconds, reason });
    if (alerting.credentialsAlertMaybeOpen) await resolveCredentialsAlert({ sourceId: this.input.sourceId, message: reason });
  }

  /**
   * Each word to the watchdog costs this workflow and the watchdog a workflow task. The watchdog reads PostgreSQL before
   * it alerts, so while no alert is open a word every few minutes keeps its timer from firing in vain; while one is
   * open, the first events resolve it at once.
   */
  private watchdogWantsNews(): boolean {
    if (this.alerting.alertOpen || this.watchdogToldAt === undefined) return true;
    const spacing = Math.min(WATCHDOG_NEWS_INTERVAL_MS, (this.alerting.silenceWindowSeconds * 1000) / 4);
    return Date.now() - this.watchdogToldAt >= spacing;
  }

  private get alerting(): SourceAlertingState {
    return this.state.alerting!;
  }

  /** An alert of the source opened or resolved elsewhere: AlertOpen follows what PostgreSQL says. */
  async alertsChanged(): Promise<void> {
    this.showAlertOpen((await countOpenAlerts(this.input.sourceId)) > 0);
  }

  /** Validated by validateAlarmChange, then stored, then applied and passed on to the watchdog. Returns the settings it replaced. */
  async changeAlarm(change: SilenceAlarmChange): Promise<SilenceAlarmSettings> {
    await saveSourceSettings({ sourceId: this.input.sourceId, silenceWindowSeconds: change.windowSeconds, silenceAlertEnabled: change.enabled });
    const alerting = this.alerting;
    const previous = { enabled: alerting.silenceEnabled, windowSeconds: alerting.silenceWindowSeconds };
    if (change.enabled !== undefined) alerting.silenceEnabled = change.enabled;
    if (change.windowSeconds !== undefined) alerting.silenceWindowSeconds = change.windowSeconds;
    await this.syncWatchdog();
    return previous;
  }

  private showAlertOpen(open: boolean): void {
    if (!this.state.alerting || this.state.alerting.alertOpen === open) return;
    this.state.alerting.alertOpen = open;
    this.published();
  }

  /** Makes the running watchdog match the settings: started, re-attached and told the window, or told to stop. */
  private async syncWatchdog(): Promise<void> {
    const { silenceEnabled: enabled, silenceWindowSeconds: windowSeconds } = this.alerting;
    if (!enabled) {
      await this.signalWatchdog({ enabled, windowSeconds, reason: 'The silence alarm was switched off.' });
      return;
    }
    // A watchdog that is just finishing refuses the signal; the second round then starts a new one.
    for (let round = 0; round < 2; round++) {
      if (await this.startWatchdog(windowSeconds)) return;
      if (await this.signalWatchdog({ enabled, windowSeconds })) return;
    }
  }

  /** True when this call started the watchdog; false when one with its id is running already. */
  private async startWatchdog(windowSeconds: number): Promise<boolean> {
    const { input } = this;
    try {
      const child = await startChild(silenceWatchdogWorkflow, {
        workflowId: this.watchdogId,
        args: [{ sourceId: input.sourceId, sourceName: input.sourceName, sourceWorkflowId: workflowInfo().workflowId, windowSeconds, maxWakeupsPerRun: input.watchdogMaxWakeupsPerRun }],
        // The default would terminate the watchdog, and its deadline, whenever this workflow continues-as-new.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `silence watchdog of source ${input.sourceName}`,
        ...(patched(WATCHDOGS_ON_THEIR_QUEUE) ? { taskQueue: watchdogTaskQueue(workflowInfo().taskQueue) } : {}),
      });
      // Nobody waits for its end; observed only so that an ending by failure is not an unhandled rejection.
      void child.result().catch(() => undefined);
      return true;
    } catch (err) {
      if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') return false;
      throw err;
    }
  }

  private async signalWatchdog(settings: SilenceAlarmSettings & { reason?: string }): Promise<boolean> {
    try {
      await getExternalWorkflowHandle(this.watchdogId).signal(silenceSettingsSignal, settings);
      return true;
    } catch {
      return false;
    }
  }
}

export function validateAlarmChange(change: SilenceAlarmChange): void {
  if (change.enabled === undefined && change.windowSeconds === undefined) throw new Error('nothing to change: give enabled or windowSeconds');
  if (change.enabled !== undefined && typeof change.enabled !== 'boolean') throw new Error('enabled must be true or false');
  const problem = change.windowSeconds !== undefined ? silenceWindowProblem(change.windowSeconds, { allowShort: change.allowShortWindow === true }) : undefined;
  if (problem) throw new Error(problem);
}
