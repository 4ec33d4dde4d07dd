import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface SilenceAlarmSettings {
  enabled: boolean;
  windowSeconds: number;
}

export interface SilenceAlarmChange extends Partial<SilenceAlarmSettings> {
  /** Accept windows below the 15-minute floor (tests and demos; the CLI sets it from AUDIT_ALLOW_SHORT_WINDOWS). */
  allowShortWindow?: boolean;
}

/** To the source workflow, from the scripts: switch the silence alarm or change its window. Returns the previous settings. */
export const setSilenceAlarmUpdate = defineUpdate<SilenceAlarmSettings, [change: SilenceAlarmChange]>('setSilenceAlarm');
/** To the source workflow: an alert of the source opened or resolved somewhere, so its AlertOpen attribute is re-read. */
export const alertsChangedSignal = defineSignal('alertsChanged');

/** To the watchdog, from the source workflow: new events were persisted (at = when the source workflow learned it). */
export const eventsPersistedSignal = defineSignal<[{ at: string }]>('eventsPersisted');
/** To the watchdog: the alarm's current settings. Disabled ends the watchdog after resolving its alert with `reason`. */
export const silenceSettingsSignal = defineSignal<[SilenceAlarmSettings & { reason?: string }]>('silenceSettings');

export interface SilenceWatchdogView {
  windowSeconds: number;
  /** When the alert opens unless events arrive first (ISO); null while an alert is open or before the first read. */
  deadline: string | null;
  alertOpen: boolean;
  /** The newest persisted-event time the watchdog knows (or the source's creation when none was ever persisted). */
  lastEventAt: string | null;
}
export const silenceWatchdogQuery = defineQuery<SilenceWatchdogView>('silenceWatchdog');

/** To the alert dispatcher: notices were queued, deliver now rather than at the next sweep. */
export const wakeDispatcherSignal = defineSignal('wakeDispatcher');
