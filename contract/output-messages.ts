import { defineQuery, defineSignal } from '@temporalio/workflow';

/** From ingestion: a source the output takes stored new events. Only a shortcut: the output's own timer comes anyway. */
export const wakeOutputSignal = defineSignal('wakeOutput');
/** From the CLI: stop forwarding, keep the position; events keep waiting in PostgreSQL. */
export const pauseOutputSignal = defineSignal<[reason?: string]>('pauseOutput');
/** From the CLI: forward again, also after the destination refused a batch (the same batch is sent again). */
export const resumeOutputSignal = defineSignal('resumeOutput');
/** Graceful stop before removal: the workflow finishes the round in flight and completes. */
export const stopOutputSignal = defineSignal('stopOutput');

export interface OutputWorkflowView {
  outputName: string;
  status: 'active' | 'paused' | 'failed';
  statusReason: string | null;
  /** Events not yet delivered and the lag in seconds, summed and maxed over the output's sources, at the last round. */
  backlogEvents: number;
  lagSeconds: number;
  forwardedThisRun: number;
  lastRoundAt: string | null;
  /** The last round's failure after its retries, in one line; null once a round succeeds. */
  lastError: string | null;
}
export const outputStatusQuery = defineQuery<OutputWorkflowView>('outputStatus');
