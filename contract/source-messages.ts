import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SourceStatusView } from './source-workflow';

export const pauseSignal = defineSignal<[reason?: string]>('pause');
export const resumeSignal = defineSignal('resume');
export const pollNowSignal = defineSignal('pollNow');
export const setIntervalSignal = defineSignal<[seconds: number]>('setInterval');
/** Sent after a new API key was stored: a source stopped by a rejected key tries again at once. */
export const keyRotatedSignal = defineSignal('keyRotated');
/** Graceful stop before removal: the workflow finishes the page in flight and completes. */
export const stopSignal = defineSignal('stop');

/** Like setIntervalSignal, but the caller learns whether the value was accepted. */
export const setIntervalUpdate = defineUpdate<{ previousSeconds: number; seconds: number }, [seconds: number]>('setPollInterval');

export const statusQuery = defineQuery<SourceStatusView>('status');
