import { Random, seedFrom } from './prng';

/**
 * What can go wrong with one API request:
 * - `server-error`: a 5xx with an error body;
 * - `reset`: the socket is destroyed without a response;
 * - `truncated-json`: a 2xx whose body stops half-way;
 * - `invalid-json`: a 2xx whose body is an HTML error page;
 * - `malformed-event`: a page whose first event lacks `attributes.action`;
 * - `repeat-event`: a continued page that starts with the last event of the previous page again;
 * - `repeat-cursor`: a continued page whose `meta.next` is the cursor it was asked with, as a looping API would send
 *   (queued faults only);
 * - `huge-body`: a 2xx whose body streams `bytes` (default 4 GiB) without a Content-Length, made as it is read, so
 *   the simulator holds none of it (queued faults only);
 * - `rate-limited`: a 429 in the rate limiter's current form, as if the key's window were spent (queued faults only);
 * - `delay`: the response comes `delayMs` late (queued faults only; rates use `latencyMs`).
 */
export const FAULT_KINDS = ['server-error', 'reset', 'truncated-json', 'invalid-json', 'malformed-event', 'repeat-event', 'repeat-cursor', 'huge-body', 'rate-limited', 'delay'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type ResponseFault = Exclude<FaultKind, 'delay'>;

export const DEFAULT_HUGE_BODY_BYTES = 4 * 1024 ** 3;

export interface FaultRates {
  serverErrorRate: number;
  serverErrorStatus: number;
  resetRate: number;
  truncatedJsonRate: number;
  invalidJsonRate: number;
  malformedEventRate: number;
  repeatEventRate: number;
  /** Added to every response. */
  latencyMs: number;
}

export const NO_FAULTS: FaultRates = {
  serverErrorRate: 0,
  serverErrorStatus: 500,
  resetRate: 0,
  truncatedJsonRate: 0,
  invalidJsonRate: 0,
  malformedEventRate: 0,
  repeatEventRate: 0,
  latencyMs: 0,
};

export interface QueuedFault {
  kind: FaultKind;
  /** How many of the next matching requests get this fault. */
  count: number;
  /** Only requests for this organization; all when absent. */
  orgId?: string;
  /** For `server-error`. */
  status?: number;
  /** For `delay`. */
  delayMs?: number;
  /** For `huge-body`. */
  bytes?: number;
}

export interface FaultDecision {
  delayMs: number;
  fault: ResponseFault | null;
  status: number;
  /** The size of a `huge-body`. */
  bytes: number;
}

/** Rate-based faults draw from one seeded stream, a fixed number of draws per request, so a run is reproducible. */
export class FaultInjector {
  #random: Random;
  #defaultRates: FaultRates = NO_FAULTS;
  readonly #ratesByOrg = new Map<string, FaultRates>();
  #queue: QueuedFault[] = [];
  readonly #injected = new Map<ResponseFault | 'delay', number>();

  constructor(seed: number) {
    this.#random = new Random(seedFrom(seed, 'faults'));
  }

  /** Replaces the rates for one organization, or the default for all when `orgId` is absent. */
  setRates(rates: Partial<FaultRates>, orgId?: string, seed?: number): void {
    const full = { ...NO_FAULTS, ...rates };
    if (orgId === undefined) this.#defaultRates = full;
    else this.#ratesByOrg.set(orgId, full);
    if (seed !== undefined) this.#random = new Random(seedFrom(seed, 'faults'));
  }

  enqueue(fault: QueuedFault): void {
    this.#queue.push({ ...fault });
  }

  clear(): void {
    this.#defaultRates = NO_FAULTS;
    this.#ratesByOrg.clear();
    this.#queue = [];
  }

  /** How many requests got each fault so far, for benchmarks that report what they survived. */
  injectedCounts(): Partial<Record<FaultKind, number>> {
    return Object.fromEntries(this.#injected);
  }

  decide(orgId: string | null): FaultDecision {
    const rates = (orgId !== null && this.#ratesByOrg.get(orgId)) || this.#defaultRates;
    const queued = this.#takeQueued(orgId);
    if (queued) {
      this.#count(queued.kind);
      return {
        delayMs: rates.latencyMs + (queued.kind === 'delay' ? (queued.delayMs ?? 0) : 0),
        fault: queued.kind === 'delay' ? null : queued.kind,
        status: queued.status ?? rates.serverErrorStatus,
        bytes: queued.bytes ?? DEFAULT_HUGE_BODY_BYTES,
      };
    }
    const draws = [
      ['reset', rates.resetRate],
      ['server-error', rates.serverErrorRate],
      ['truncated-json', rates.truncatedJsonRate],
      ['invalid-json', rates.invalidJsonRate],
      ['malformed-event', rates.malformedEventRate],
      ['repeat-event', rates.repeatEventRate],
    ] as const;
    let fault: ResponseFault | null = null;
    for (const [kind, rate] of draws) {
      const hit = this.#random.next() < rate;
      if (hit && fault === null) fault = kind;
    }
    if (fault) this.#count(fault);
    return { delayMs: rates.latencyMs, fault, status: rates.serverErrorStatus, bytes: DEFAULT_HUGE_BODY_BYTES };
  }

  #count(kind: FaultKind): void {
    this.#injected.set(kind, (this.#injected.get(kind) ?? 0) + 1);
  }

  #takeQueued(orgId: string | null): QueuedFault | null {
    const index = this.#queue.findIndex((f) => f.orgId === undefined || f.orgId === orgId);
    if (index < 0) return null;
    const entry = this.#queue[index];
    if (--entry.count <= 0) this.#queue.splice(index, 1);
    return entry;
  }
}
