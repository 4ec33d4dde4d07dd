import { readdirSync, readFileSync } from 'node:fs';

// CPU and memory of processes, read from /proc: what `ps` shows, without its rounding.

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface ProcStat {
  pid: number;
  ppid: number;
  /** Own CPU seconds, plus those of children it has reaped (PostgreSQL's short-lived backends). */
  cpuSeconds: number;
  rssBytes: number;
}

function readStat(pid: number, file = `/proc/${pid}/stat`): ProcStat | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return { pid, ppid: Number(fields[1]), cpuSeconds: (utime + stime + cutime + cstime) / CLOCK_TICKS_PER_SECOND, rssBytes: Number(fields[21]) * PAGE_BYTES };
  } catch {
    return undefined; // gone
  }
}

/** The CPU seconds of one thread of a process (the main thread's id is the process's): what `top -H` shows. */
export function threadCpuSeconds(pid: number, tid: number): number {
  return readStat(tid, `/proc/${pid}/task/${tid}/stat`)?.cpuSeconds ?? 0;
}

/** The name a thread gave itself (`comm`, as `top -H` shows it), or undefined once it is gone. */
function threadName(pid: number, tid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** CPU seconds of each live thread of a process, keyed by thread id, with its name. */
function threadsNow(pid: number): Map<number, { name: string; cpuSeconds: number }> {
  const threads = new Map<number, { name: string; cpuSeconds: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids.map(Number)) {
    const name = tid === pid ? MAIN_THREAD : threadName(pid, tid);
    if (name !== undefined) threads.set(tid, { name, cpuSeconds: threadCpuSeconds(pid, tid) });
  }
  return threads;
}

export const MAIN_THREAD = 'main thread';
/** Threads that started and ended within the span (Node's watchdog of each timed `vm` call is one): seen only in the process's total. */
export const ENDED_THREADS = 'threads that ended';

/**
 * A process's CPU over a span, by thread name: threads of one name (the Rust core's tokio workers, libuv's pool) are
 * summed. A thread's CPU counts from the span's start, or from its own if it started later; what threads that ended
 * within the span used is the process's total less the rest.
 */
export class ThreadUsageMeter {
  readonly #start: Map<number, { name: string; cpuSeconds: number }>;
  readonly #processStart: number;

  constructor(private readonly pid: number) {
    this.#processStart = readStat(pid)?.cpuSeconds ?? 0;
    this.#start = threadsNow(pid);
  }

  /** CPU seconds by thread name, busiest first, `ENDED_THREADS` among them. */
  stop(): [string, number][] {
    const byName = new Map<string, number>();
    let live = 0;
    for (const [tid, { name, cpuSeconds }] of threadsNow(this.pid)) {
      const used = cpuSeconds - (this.#start.get(tid)?.cpuSeconds ?? 0);
      byName.set(name, (byName.get(name) ?? 0) + used);
      live += used;
    }
    // A thread alive at the start but gone now took its CPU out of the live sum; the process's total keeps it.
    const ended = (readStat(this.pid)?.cpuSeconds ?? 0) - this.#processStart - live;
    byName.set(ENDED_THREADS, Math.max(ended, 0));
    return [...byName].sort(([, a], [, b]) => b - a);
  }
}

/** A process and every descendant alive now: one figure for a server and its workers or backends. */
export function treeUsage(rootPid: number): { cpuSeconds: number; rssBytes: number } {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== undefined);
  const inTree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const stat of all) {
      if (!inTree.has(stat.pid) && inTree.has(stat.ppid)) {
        inTree.add(stat.pid);
        grew = true;
      }
    }
  }
  const members = all.filter((stat) => inTree.has(stat.pid));
  return { cpuSeconds: members.reduce((sum, stat) => sum + stat.cpuSeconds, 0), rssBytes: members.reduce((sum, stat) => sum + stat.rssBytes, 0) };
}

/** Samples the trees every second: CPU over the whole span, and RSS as the mean and the peak of the samples. */
export class UsageMeter {
  readonly #start: Map<string, number>;
  readonly #rss = new Map<string, number[]>();
  readonly #startedAt = performance.now();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly roots: Record<string, number>) {
    this.#start = new Map(Object.entries(roots).map(([name, pid]) => [name, treeUsage(pid).cpuSeconds]));
    this.#timer = setInterval(() => {
      for (const [name, pid] of Object.entries(roots)) this.#rss.set(name, [...(this.#rss.get(name) ?? []), treeUsage(pid).rssBytes]);
    }, 1000);
  }

  /** CPU over the span; RSS as the mean and peak of the samples, and the mean of each quarter (is it flat?). */
  stop(): Record<string, { cpuSeconds: number; cores: number; meanRssMiB: number; peakRssMiB: number; rssByQuarterMiB: number[] }> {
    clearInterval(this.#timer);
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const mib = (bytes: number) => bytes / 2 ** 20;
    return Object.fromEntries(
      Object.entries(this.roots).map(([name, pid]) => {
        const rss = this.#rss.get(name) ?? [treeUsage(pid).rssBytes];
        const cpuSeconds = treeUsage(pid).cpuSeconds - this.#start.get(name)!;
        return [name, { cpuSeconds, cores: cpuSeconds / seconds, meanRssMiB: mib(mean(rss)), peakRssMiB: mib(Math.max(...rss)), rssByQuarterMiB: meanByQuarter(rss).map(mib) }];
      }),
    );
  }
}

const mean = (samples: number[]) => samples.reduce((a, b) => a + b, 0) / Math.max(samples.length, 1);

/** The mean of each quarter of a series of samples: is it flat? */
export function meanByQuarter(samples: number[]): number[] {
  return [0, 1, 2, 3].map((q) => mean(samples.slice(Math.floor((q * samples.length) / 4), Math.ceil(((q + 1) * samples.length) / 4))));
}
