import { EventGenerator, type EventOverrides } from './generator';
import { createPopulation, type Population } from './population';
import { Random, seedFrom } from './prng';
import { EventLog } from './store';

/** The three ways the real API has been seen to report the end of the stream (see the API digest). */
export const END_OF_STREAM_MODES = ['empty-then-null', 'empty-with-cursor', 'links-absent'] as const;
export type EndOfStreamMode = (typeof END_OF_STREAM_MODES)[number];

export interface HistoryOptions {
  /** Events already in the log when the simulator starts. */
  count: number;
  /** Their processing times spread over this many milliseconds before start. */
  spanMs: number;
}

export interface SimulatedOrgOptions {
  id: string;
  name: string;
  hasGuard: boolean;
  seed: number;
  selfBaseUrl: string;
  lateEventRatio: number;
  history: HistoryOptions;
  liveEventsPerSecond: number;
  endOfStream: EndOfStreamMode;
  nowMs: number;
}

/**
 * One organization: its population, its event log, and the live feed. Live events are not produced by a timer:
 * whoever reads the log first calls `catchUp(now)`, which appends the events that the configured rate says should
 * have been processed by now, each at its own scheduled processing time.
 */
export class SimulatedOrg {
  readonly id: string;
  readonly name: string;
  readonly hasGuard: boolean;
  readonly population: Population;
  readonly log = new EventLog();
  endOfStream: EndOfStreamMode;
  /** Answers for the next events-stream requests, served as they are (envelope and cursor included) before the log. */
  verbatimPages: string[] = [];
  readonly #generator: EventGenerator;
  #liveEventsPerSecond: number;
  #liveSinceMs: number;
  #liveGenerated = 0;

  constructor(options: SimulatedOrgOptions) {
    this.id = options.id;
    this.name = options.name;
    this.hasGuard = options.hasGuard;
    this.endOfStream = options.endOfStream;
    this.population = createPopulation(options.seed, options.id, options.name);
    this.#generator = new EventGenerator({
      seed: options.seed,
      population: this.population,
      selfBaseUrl: options.selfBaseUrl,
      lateEventRatio: options.lateEventRatio,
    });
    this.#appendHistory(options.seed, options.history, options.nowMs);
    this.#liveEventsPerSecond = options.liveEventsPerSecond;
    this.#liveSinceMs = options.nowMs;
  }

  get liveEventsPerSecond(): number {
    return this.#liveEventsPerSecond;
  }

  catchUp(nowMs: number): void {
    if (this.#liveEventsPerSecond <= 0) return;
    const intervalMs = 1000 / this.#liveEventsPerSecond;
    const due = Math.floor((nowMs - this.#liveSinceMs) / intervalMs);
    for (; this.#liveGenerated < due; this.#liveGenerated++) {
      this.#append(this.#liveSinceMs + (this.#liveGenerated + 1) * intervalMs);
    }
  }

  setLiveRate(eventsPerSecond: number, nowMs: number): void {
    this.catchUp(nowMs);
    this.#liveEventsPerSecond = eventsPerSecond;
    this.#liveSinceMs = nowMs;
    this.#liveGenerated = 0;
  }

  /** Appends events processed now; returns their ids. */
  addEvents(nowMs: number, overrides: readonly EventOverrides[]): string[] {
    this.catchUp(nowMs);
    return overrides.map((override) => this.#append(nowMs, override));
  }

  #append(processedAtMs: number, overrides?: EventOverrides): string {
    // Processing time never goes backwards, whatever mix of history, live feed and explicit additions produced it.
    const at = Math.max(Math.floor(processedAtMs), this.log.lastProcessedAtMs);
    const event = this.#generator.generate(this.log.length, at, overrides);
    this.log.append(event);
    return event.id;
  }

  #appendHistory(seed: number, history: HistoryOptions, nowMs: number): void {
    if (history.count <= 0) return;
    const jitter = new Random(seedFrom(seed, 'history', this.id));
    const stepMs = history.spanMs / history.count;
    const startMs = nowMs - history.spanMs;
    for (let i = 0; i < history.count; i++) {
      this.#append(startMs + (i + 0.1 + 0.8 * jitter.next()) * stepMs);
    }
  }
}
