import { condition, getExternalWorkflowHandle, ParentClosePolicy, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { silenceWatchdogWorkflowId, silenceWindowOutOfRange } from './alert-ids';
import { alertsChangedSignal, eventsPersistedSignal, setSilenceAlarmUpdate, silenceSettingsSignal, type SilenceAlarmSettings } from './alert-messages';
import { silenceWatchdogWorkflow } from './silence-watchdog';
import type { CarriedState, SourceWorkflowInput } from './types';

type Activities = ReturnType<typeof createActivities>;

const { loadSourceAlerting, countOpenAlerts, openCredentialsAlert, resolveCredentialsAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** The alerting part of the source workflow's carried state. */
export interface SourceAlertingState {
  silenceEnabled: boolean;
  silenceWindowSeconds: number;
  /** Any alert of the source is open: shown as the AlertOpen search attribute. */
  alertOpen: boolean;
  /** A credentials alert may be open (after a rejection, or not known on a fresh start): resolve it once polling works. */
  credentialsAlertMaybeOpen: boolean;
}

export type CycleResult = { kind: 'caught-up' | 'more-pages' | 'error' | 'removed' } | { kind: 'rejected'; reason: string; failureType: string };

/**
 * The source workflow's side of alerting: its silence watchdog (started, re-attached after continue-as-new,
 * reconfigured, stopped), its credentials alert, and the AlertOpen flag. Registers its handlers when called, so it
 * must be called before the source workflow's first await.
 */
export function attachSourceAlerting(input: SourceWorkflowInput, state: CarriedState, published: () => void) {
  const watchdogId = silenceWatchdogWorkflowId(workflowInfo().workflowId);
  let queue: Promise<unknown> = Promise.resolve();
  /** Watchdog commands go out one at a time, so a quick off-then-on arrives in that order. */
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  let alertOpenReads = 0;

  const loaded = () => state.alerting !== undefined;

  setHandler(
    setSilenceAlarmUpdate,
    async (change): Promise<SilenceAlarmSettings> => {
      await condition(loaded);
      const alerting = state.alerting!;
      const previous = { enabled: alerting.silenceEnabled, windowSeconds: alerting.silenceWindowSeconds };
      if (change.enabled !== undefined) alerting.silenceEnabled = change.enabled;
      if (change.windowSeconds !== undefined) alerting.silenceWindowSeconds = change.windowSeconds;
      await serially(syncWatchdog);
      return previous;
    },
    {
      validator: (change) => {
        if (change.enabled === undefined && change.windowSeconds === undefined) throw new Error('nothing to change: give enabled or windowSeconds');
        if (change.enabled !== undefined && typeof change.enabled !== 'boolean') throw new Error('enabled must be true or false');
        const problem = change.windowSeconds !== undefined ? silenceWindowOutOfRange(change.windowSeconds) : undefined;
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(alertsChangedSignal, async () => {
    const read = ++alertOpenReads;
    const open = (await countOpenAlerts(input.sourceId)) > 0;
    // Only the latest read counts: an older one may finish last.
    if (read === alertOpenReads) showAlertOpen(open);
  });

  function showAlertOpen(open: boolean): void {
    if (!state.alerting || state.alerting.alertOpen === open) return;
    state.alerting.alertOpen = open;
    published();
  }

  /** True when this call started the watchdog; false when one with its id is running already. */
  async function startWatchdog(windowSeconds: number): Promise<boolean> {
    try {
      const child = await startChild(silenceWatchdogWorkflow, {
        workflowId: watchdogId,
        args: [{ sourceId: input.sourceId, sourceName: input.sourceName, sourceWorkflowId: workflowInfo().workflowId, windowSeconds, maxWakeupsPerRun: input.watchdogMaxWakeupsPerRun }],
        // The default would terminate the watchdog, and its deadline, whenever this workflow continues-as-new.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `silence watchdog of source ${input.sourceName}`,
      });
      // Nobody waits for its end; observed only so that an ending by failure is not an unhandled rejection.
      void child.result().catch(() => undefined);
      return true;
    } catch (err) {
      if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') return false;
      throw err;
    }
  }

  async function signalWatchdog(settings: SilenceAlarmSettings & { reason?: string }): Promise<boolean> {
    try {
      await getExternalWorkflowHandle(watchdogId).signal(silenceSettingsSignal, settings);
      return true;
    } catch {
      return false;
    }
  }

  /** Makes the running watchdog match the settings: started, re-attached and told the window, or told to stop. */
  async function syncWatchdog(): Promise<void> {
    const { silenceEnabled: enabled, silenceWindowSeconds: windowSeconds } = state.alerting!;
    if (!enabled) {
      await signalWatchdog({ enabled, windowSeconds, reason: 'The silence alarm was switched off.' });
      return;
    }
    // A watchdog that is just finishing refuses the signal; the second round then starts a new one.
    for (let round = 0; round < 2; round++) {
      if (await startWatchdog(windowSeconds)) return;
      if (await signalWatchdog({ enabled, windowSeconds })) return;
    }
  }

  return {
    /** After the source's state is loaded or carried: reads the alarm settings on a fresh start and (re)attaches the watchdog. */
    async start(): Promise<void> {
      if (!state.alerting) {
        const stored = await loadSourceAlerting(input.sourceId);
        state.alerting = { ...stored, credentialsAlertMaybeOpen: true };
      }
      await serially(syncWatchdog);
    },

    /** After each cycle: restart the silence window if events were persisted, open or resolve the credentials alert. */
    async afterCycle(result: CycleResult, inserted: number): Promise<void> {
      const alerting = state.alerting!;
      if (inserted > 0 && alerting.silenceEnabled) {
        const at = new Date().toISOString();
        await serially(async () => {
          if (!(await getExternalWorkflowHandle(watchdogId).signal(eventsPersistedSignal, { at }).then(() => true, () => false))) await syncWatchdog();
        });
      }
      if (result.kind === 'rejected') {
        const { openAlerts } = await openCredentialsAlert({ sourceId: input.sourceId, failureType: result.failureType, reason: result.reason });
        alerting.credentialsAlertMaybeOpen = true;
        alertOpenReads++;
        showAlertOpen(openAlerts > 0);
      } else if ((result.kind === 'caught-up' || result.kind === 'more-pages') && alerting.credentialsAlertMaybeOpen) {
        const { openAlerts } = await resolveCredentialsAlert({ sourceId: input.sourceId });
        alerting.credentialsAlertMaybeOpen = false;
        alertOpenReads++;
        showAlertOpen(openAlerts > 0);
      }
    },

    /** The source is being stopped for removal: its alerts end with it. */
    async stopping(reason: string): Promise<void> {
      const alerting = state.alerting;
      if (!alerting) return;
      if (alerting.silenceEnabled) await serially(() => signalWatchdog({ enabled: false, windowSeconds: alerting.silenceWindowSeconds, reason }));
      if (alerting.credentialsAlertMaybeOpen) await resolveCredentialsAlert({ sourceId: input.sourceId, message: reason });
    },
  };
}
