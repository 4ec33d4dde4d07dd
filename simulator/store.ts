import type { GeneratedEvent } from './generator';

/** What the search endpoint filters on, kept beside the serialized event so a search never re-parses the log. */
export interface EventFacts {
  id: string;
  action: string;
  actorId: string;
  ip: string | null;
  product: string;
}

/**
 * One organization's events in processing order (append-only, `processedAt` never decreasing). A position in the
 * log never changes meaning once assigned, which is what lets an old cursor keep working while events are appended.
 * Each event is serialized once, here; pages are built by joining these strings.
 */
export class EventLog {
  readonly #json: string[] = [];
  readonly #processedAtMs: number[] = [];
  readonly #facts: EventFacts[] = [];
  readonly #positionById = new Map<string, number>();

  /** Every event id served so far, in processedAt order: what a consumer must hold once each. */
  ids(): string[] {
    return this.#facts.map((fact) => fact.id);
  }

  get length(): number {
    return this.#json.length;
  }

  get lastProcessedAtMs(): number {
    return this.#processedAtMs.length > 0 ? this.#processedAtMs[this.#processedAtMs.length - 1] : Number.NEGATIVE_INFINITY;
  }

  append(event: GeneratedEvent): void {
    if (event.processedAtMs < this.lastProcessedAtMs) {
      throw new RangeError('events must be appended in processedAt order');
    }
    this.#positionById.set(event.id, this.#json.length);
    this.#json.push(JSON.stringify(event.body));
    this.#processedAtMs.push(event.processedAtMs);
    this.#facts.push({ id: event.id, action: event.action, actorId: event.actorId, ip: event.ip, product: event.product });
  }

  json(position: number): string {
    return this.#json[position];
  }

  processedAtMs(position: number): number {
    return this.#processedAtMs[position];
  }

  facts(position: number): EventFacts {
    return this.#facts[position];
  }

  positionOf(id: string): number | undefined {
    return this.#positionById.get(id);
  }

  /** First position whose processedAt is at or after `ms`. */
  firstAtOrAfter(ms: number): number {
    return this.#search((t) => t >= ms);
  }

  /** First position whose processedAt is after `ms`. */
  firstAfter(ms: number): number {
    return this.#search((t) => t > ms);
  }

  #search(isRight: (processedAtMs: number) => boolean): number {
    let lo = 0;
    let hi = this.#processedAtMs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isRight(this.#processedAtMs[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
