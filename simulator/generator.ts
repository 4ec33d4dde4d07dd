import { ACTIONS_BY_KEY, pickAction, type ActionShape } from './actions';
import { location } from './population';
import type { Population } from './population';
import { Random, seedFrom } from './prng';

type JsonObject = Record<string, unknown>;

/** Fields a test or the control API may force on a generated event; everything else stays generated. */
export interface EventOverrides {
  id?: string;
  action?: string;
  /** The event time as sent, verbatim (so any format can be played). */
  time?: string;
  /** How far `time` lies behind `processedAt`, when `time` is not given. */
  lagMs?: number;
  actor?: JsonObject;
  context?: JsonObject[];
  container?: JsonObject[];
  location?: JsonObject | null;
  message?: JsonObject | null;
  /**
   * The event verbatim, as served (its `processedAt` too, which may lie anywhere: the event's place in the log, which
   * `from=` searches, is when it was added). Nothing is generated or checked.
   */
  body?: JsonObject;
}

export interface GeneratedEvent {
  id: string;
  processedAtMs: number;
  action: string;
  actorId: string;
  ip: string | null;
  product: string;
  /** The event as the events stream serves it (with `processedAt`). */
  body: JsonObject;
}

export interface GeneratorOptions {
  seed: number;
  population: Population;
  /** Base URL written into each event's `links.self`. */
  selfBaseUrl: string;
  /** Share of events processed long after they happened (their `time` is older than events already served). */
  lateEventRatio: number;
}

const LATE_LAG_MIN_MS = 10 * 60_000;
const LATE_LAG_MAX_MS = 6 * 3_600_000;

export function isoWithoutMillis(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventGenerator {
  readonly #options: GeneratorOptions;

  constructor(options: GeneratorOptions) {
    this.#options = options;
  }

  /** Event number `sequence` of the org: its content depends only on (seed, org, sequence), never on timing. */
  generate(sequence: number, processedAtMs: number, overrides: EventOverrides = {}): GeneratedEvent {
    if (overrides.body) return verbatim(overrides.body, sequence, processedAtMs);
    const { seed, population, selfBaseUrl, lateEventRatio } = this.#options;
    const rng = new Random(seedFrom(seed, 'event', population.orgId, sequence));
    const id = overrides.id ?? rng.uuid();
    const known = overrides.action === undefined ? pickAction(rng) : ACTIONS_BY_KEY.get(overrides.action);
    const action = overrides.action ?? known?.key ?? 'user_login';
    const shape: ActionShape = known
      ? known.build(rng, population)
      : { actor: { id: rng.pick(population.people).id }, context: [], located: true, message: `${action} performed` };

    const lagMs = overrides.lagMs ?? (rng.chance(lateEventRatio) ? rng.int(LATE_LAG_MIN_MS, LATE_LAG_MAX_MS) : rng.int(50, 8_000));
    const timeMs = processedAtMs - lagMs;
    const time = overrides.time ?? (rng.chance(0.7) ? new Date(timeMs).toISOString() : isoWithoutMillis(timeMs));

    const attributes: JsonObject = {
      time,
      processedAt: new Date(processedAtMs).toISOString(),
      action,
      actor: overrides.actor ?? shape.actor,
      context: overrides.context ?? shape.context,
    };
    const container = overrides.container ?? shape.container;
    if (container) attributes.container = container;
    const place = overrides.location !== undefined ? overrides.location : shape.located ? location(rng) : undefined;
    if (place) attributes.location = place;

    const body: JsonObject = { id, type: 'events', attributes };
    const message =
      overrides.message !== undefined
        ? overrides.message
        : rng.chance(0.85)
          ? { content: shape.message, format: rng.chance(0.6) ? 'simple' : 'text/plain' }
          : undefined;
    if (message) body.message = message;
    if (rng.chance(0.3)) body.relations = null;
    body.links = { self: `${selfBaseUrl}/admin/v1/orgs/${population.orgId}/events/${id}` };

    const actorId = (attributes.actor as JsonObject).id;
    const ip = (place as JsonObject | undefined)?.ip;
    return {
      id,
      processedAtMs,
      action,
      actorId: typeof actorId === 'string' ? actorId : '',
      ip: typeof ip === 'string' && ip !== '' ? ip : null,
      product: known?.product ?? action.split('_')[0],
      body,
    };
  }
}

function verbatim(body: JsonObject, sequence: number, processedAtMs: number): GeneratedEvent {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const attributes = (body.attributes ?? {}) as JsonObject;
  const action = text(attributes.action);
  return {
    id: typeof body.id === 'string' ? body.id : `verbatim-${sequence}`,
    processedAtMs,
    action,
    actorId: text((attributes.actor as JsonObject | undefined)?.id),
    ip: text((attributes.location as JsonObject | undefined)?.ip) || null,
    product: action.split('_')[0],
    body,
  };
}
