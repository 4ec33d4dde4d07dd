// The output workflow's input and the activities' summaries: counts, seqs and lags only, never an event.

export interface OutputWorkflowInput {
  outputId: string;
  outputName: string;
  /** Continue-as-new after this many rounds at the latest (default MAX_OUTPUT_ROUNDS_PER_RUN); tests lower it. */
  maxRoundsPerRun?: number;
}

export type OutputStatusValue = 'active' | 'paused' | 'failed';

/** What one forwarding round did and where the output stands after it. */
export interface ForwardRound {
  /** 'removed': the output no longer exists, and its workflow ends. */
  status: OutputStatusValue | 'removed';
  statusReason: string | null;
  forwarded: number;
  batches: number;
  /** Batches were ready that the round left for the next one (its work is bounded). */
  more: boolean;
  /** A small batch waits for its age limit: the round to cut it is due in this many ms. Null: nothing waits. */
  nextDueInMs: number | null;
  backlogEvents: number;
  lagSeconds: number;
}
