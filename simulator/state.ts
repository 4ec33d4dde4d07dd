import type { EventOverrides } from './generator';
import { CursorCodec } from './cursor';
import { FaultInjector, NO_FAULTS, type FaultRates, type QueuedFault } from './faults';
import { SimulatedOrg, type EndOfStreamMode, type HistoryOptions } from './org';
import { Random, seedFrom } from './prng';
import { rateLimitProblem, RateLimiter, type RateLimitSettings } from './rate-limit';

export const KEY_STATES = ['valid', 'expired', 'missing-scope'] as const;
/** `expired` plays the 401 errors-form answer, `missing-scope` the gateway's 401 "scope does not match". */
export type KeyState = (typeof KEY_STATES)[number];

export const ENDPOINTS = ['events-stream', 'events', 'event', 'event-actions', 'orgs', 'unknown'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface OrgSpec {
  id?: string;
  name?: string;
  /** Without Atlassian Guard every audit read answers 403 ADMIN-403-3. Default true. */
  hasGuard?: boolean;
  history?: Partial<HistoryOptions>;
  liveEventsPerSecond?: number;
  endOfStream?: EndOfStreamMode;
}

export interface StateOptions {
  seed: number;
  selfBaseUrl: string;
  orgs: OrgSpec[];
  history: HistoryOptions;
  liveEventsPerSecond: number;
  lateEventRatio: number;
  endOfStream: EndOfStreamMode;
  cursorTtlMs: number | null;
  maxPageSize: number;
  rateLimit: RateLimitSettings;
  faults: Partial<FaultRates>;
  now: () => number;
}

export interface OrgInfo {
  id: string;
  name: string;
  hasGuard: boolean;
  endOfStream: EndOfStreamMode;
  liveEventsPerSecond: number;
  eventCount: number;
  /** The demo keys created with the org, one per state. */
  keys: { valid: string; expired: string; missingScope: string };
}

export interface AddEventsInput {
  /** How many events to add (default 1), each with `fields` forced onto it. */
  count?: number;
  fields?: EventOverrides;
  /** Or one entry per event, each with its own forced fields. */
  events?: EventOverrides[];
}

export interface RequestCounts {
  total: number;
  byOrg: Record<string, Partial<Record<Endpoint, number>>>;
}

interface KeyRecord {
  orgId: string;
  state: KeyState;
}

const DEFAULT_ORG_NAMES = ['Acme Corporation', 'Globex Corporation', 'Initech'];

/** The whole simulated Atlassian: organizations, keys, settings and counters. Both the HTTP control API and the
 * in-process helpers drive it through these methods. */
export class SimulatorState {
  readonly now: () => number;
  readonly selfBaseUrl: string;
  readonly cursors = new CursorCodec();
  readonly rateLimiter: RateLimiter;
  readonly faults: FaultInjector;
  /** Pages hold at most this many events, whatever the request's limit (meta.page_size says so). */
  readonly maxPageSize: number;
  cursorTtlMs: number | null;
  readonly #seed: number;
  readonly #orgs = new Map<string, SimulatedOrg>();
  readonly #keys = new Map<string, KeyRecord>();
  readonly #demoKeys = new Map<string, OrgInfo['keys']>();
  #counts: RequestCounts = { total: 0, byOrg: {} };

  constructor(options: StateOptions) {
    this.now = options.now;
    this.selfBaseUrl = options.selfBaseUrl;
    this.#seed = options.seed;
    this.cursorTtlMs = options.cursorTtlMs;
    this.maxPageSize = options.maxPageSize;
    const problem = rateLimitProblem(options.rateLimit);
    if (problem) throw new SimulatorInputError(problem);
    this.rateLimiter = new RateLimiter(options.rateLimit);
    this.faults = new FaultInjector(options.seed);
    this.faults.setRates({ ...NO_FAULTS, ...options.faults });
    const nowMs = this.now();
    options.orgs.forEach((spec, index) => this.#createOrg(spec, index, options, nowMs));
  }

  org(orgId: string): SimulatedOrg | undefined {
    return this.#orgs.get(orgId);
  }

  keyRecord(key: string): KeyRecord | undefined {
    return this.#keys.get(key);
  }

  describeOrgs(): OrgInfo[] {
    return [...this.#orgs.values()].map((org) => ({
      id: org.id,
      name: org.name,
      hasGuard: org.hasGuard,
      endOfStream: org.endOfStream,
      liveEventsPerSecond: org.liveEventsPerSecond,
      eventCount: org.log.length,
      keys: this.#demoKeys.get(org.id)!,
    }));
  }

  addEvents(orgId: string, input: AddEventsInput): string[] {
    const overrides = input.events ?? Array.from({ length: input.count ?? 1 }, () => input.fields ?? {});
    return this.#requireOrg(orgId).addEvents(this.now(), overrides);
  }

  setEndOfStream(orgId: string, mode: EndOfStreamMode): void {
    this.#requireOrg(orgId).endOfStream = mode;
  }

  /** The org's next events-stream requests are answered with these bodies, in order; an empty list clears them. */
  setVerbatimPages(orgId: string, bodies: readonly string[]): void {
    this.#requireOrg(orgId).verbatimPages = [...bodies];
  }

  setLiveRate(orgId: string, eventsPerSecond: number): void {
    this.#requireOrg(orgId).setLiveRate(eventsPerSecond, this.now());
  }

  setCursorTtl(ttlMs: number | null): void {
    this.cursorTtlMs = ttlMs;
  }

  setRateLimit(settings: Partial<RateLimitSettings>): void {
    const merged = { ...this.rateLimiter.settings, ...settings };
    const problem = rateLimitProblem(merged);
    if (problem) throw new SimulatorInputError(problem);
    this.rateLimiter.settings = merged;
    this.rateLimiter.reset();
  }

  setFaults(rates: Partial<FaultRates>, orgId?: string, seed?: number): void {
    if (orgId !== undefined) this.#requireOrg(orgId);
    this.faults.setRates(rates, orgId, seed);
  }

  failNext(fault: QueuedFault): void {
    if (fault.orgId !== undefined) this.#requireOrg(fault.orgId);
    this.faults.enqueue(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  addKey(orgId: string, state: KeyState = 'valid', key?: string): string {
    this.#requireOrg(orgId);
    const newKey = key ?? this.#mintKey(orgId, `extra-${this.#keys.size}`);
    if (this.#keys.has(newKey)) throw new SimulatorInputError('key already exists');
    this.#keys.set(newKey, { orgId, state });
    return newKey;
  }

  setKeyState(key: string, state: KeyState): void {
    const record = this.#keys.get(key);
    if (!record) throw new SimulatorInputError('unknown key');
    record.state = state;
  }

  countRequest(orgId: string, endpoint: Endpoint): void {
    this.#counts.total++;
    const perOrg = (this.#counts.byOrg[orgId] ??= {});
    perOrg[endpoint] = (perOrg[endpoint] ?? 0) + 1;
  }

  requestCounts(): RequestCounts {
    return structuredClone(this.#counts);
  }

  resetRequestCounts(): void {
    this.#counts = { total: 0, byOrg: {} };
  }

  #requireOrg(orgId: string): SimulatedOrg {
    const org = this.#orgs.get(orgId);
    if (!org) throw new SimulatorInputError(`unknown organization ${orgId}`);
    return org;
  }

  #mintKey(orgId: string, purpose: string): string {
    // Lengths vary on purpose: real keys do, and nothing may validate a key by its length.
    const rng = new Random(seedFrom(this.#seed, 'key', orgId, purpose));
    return `simkey_${rng.hex(rng.int(32, 72))}`;
  }

  #createOrg(spec: OrgSpec, index: number, options: StateOptions, nowMs: number): void {
    const id = spec.id ?? new Random(seedFrom(options.seed, 'org', index)).uuid();
    if (this.#orgs.has(id)) throw new SimulatorInputError(`duplicate organization ${id}`);
    const org = new SimulatedOrg({
      id,
      name: spec.name ?? DEFAULT_ORG_NAMES[index] ?? `Organization ${index + 1}`,
      hasGuard: spec.hasGuard ?? true,
      seed: options.seed,
      selfBaseUrl: options.selfBaseUrl,
      lateEventRatio: options.lateEventRatio,
      history: { ...options.history, ...spec.history },
      liveEventsPerSecond: spec.liveEventsPerSecond ?? options.liveEventsPerSecond,
      endOfStream: spec.endOfStream ?? options.endOfStream,
      nowMs,
    });
    this.#orgs.set(id, org);
    const keys = {
      valid: this.#mintKey(id, 'valid'),
      expired: this.#mintKey(id, 'expired'),
      missingScope: this.#mintKey(id, 'missing-scope'),
    };
    this.#keys.set(keys.valid, { orgId: id, state: 'valid' });
    this.#keys.set(keys.expired, { orgId: id, state: 'expired' });
    this.#keys.set(keys.missingScope, { orgId: id, state: 'missing-scope' });
    this.#demoKeys.set(id, keys);
  }
}

/** A request the simulator refuses (unknown org or key, duplicate key); the control API answers it with 400. */
export class SimulatorInputError extends Error {
  override readonly name = 'SimulatorInputError';
}
