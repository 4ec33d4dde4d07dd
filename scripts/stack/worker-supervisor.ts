import { ManagedProcess } from './processes';

/** The first restart waits this long; each quick death after it doubles the wait, up to the maximum. */
const FIRST_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 60_000;
/** A process that ran this long had started fine: its death starts the backoff over (a crash loop dies sooner). */
const HEALTHY_RUN_MS = 15_000;

/** How long to wait before starting a dead process again: doubling while it keeps dying young, from 1 s to a minute. */
export class RestartBackoff {
  private quickDeaths = 0;

  afterRunOf(ranMs: number): number {
    this.quickDeaths = ranMs >= HEALTHY_RUN_MS ? 0 : this.quickDeaths + 1;
    return Math.min(FIRST_RESTART_DELAY_MS * 2 ** Math.max(this.quickDeaths - 1, 0), MAX_RESTART_DELAY_MS);
  }
}

/**
 * Keeps one of the local stack's processes running (a worker, or the cluster profile's servers), as a process
 * supervisor would in production: once `keepRunning()` was
 * called, a worker that dies is started again after a backoff, and every death and restart is said in the output.
 * The silence watchdog runs on this worker, so a dead one would otherwise stop alerts as well as ingestion.
 */
export class WorkerSupervisor {
  private current: ManagedProcess;
  private supervising = false;
  private stopped = false;
  private readonly backoff = new RestartBackoff();
  private pendingRestart: NodeJS.Timeout | undefined;

  constructor(
    private readonly launch: () => ManagedProcess,
    private readonly log: (line: string) => void,
    /** How the output names the process: the cluster profile supervises several workers and its servers too. */
    readonly name = 'worker',
  ) {
    this.current = this.start();
  }

  get process(): ManagedProcess {
    return this.current;
  }

  keepRunning(): void {
    this.supervising = true;
  }

  async stop(graceMs?: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pendingRestart);
    await this.current.stop(graceMs);
  }

  /** What chaos does to a process: SIGKILL (or SIGTERM) it and let the supervisor bring it back. */
  signal(signal: NodeJS.Signals): void {
    this.current.signal(signal);
  }

  private start(): ManagedProcess {
    const worker = this.launch();
    const startedAt = Date.now();
    void worker.exited.then((code) => {
      if (this.supervising && !this.stopped) this.restartLater(code, Date.now() - startedAt, worker.logFile);
    });
    return worker;
  }

  private restartLater(code: number | null, ranMs: number, logFile: string): void {
    const delayMs = this.backoff.afterRunOf(ranMs);
    const how = code === null ? 'was killed by a signal' : `exited with code ${code}`;
    this.log(`${this.name} ${how} after ${Math.round(ranMs / 1000)} s; restarting it in ${delayMs / 1000} s (log: ${logFile})`);
    this.pendingRestart = setTimeout(() => {
      if (this.stopped) return;
      this.current = this.start();
      this.log(`${this.name}: restarted (pid ${this.current.pid})`);
    }, delayMs);
  }
}
