import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import { AtlassianApiError, RateLimitedError } from '../atlassian/errors';
import type { QuarantineReason } from '../atlassian/storable';

/**
 * What the ingest path counts as it happens, recorded through the Temporal SDK's metric meter so that it is served
 * on the worker's one metrics endpoint beside the SDK's own metrics. Every label is bounded: the source's name, a
 * status class, a reason; never an event, an actor or a cursor.
 */
export const PRODUCT_METRICS = {
  eventsFetched: 'audit_events_fetched_total',
  eventsInserted: 'audit_events_inserted_total',
  apiRequests: 'audit_api_requests_total',
  apiRequestSeconds: 'audit_api_request_seconds',
  apiWaitSeconds: 'audit_api_wait_seconds',
  pageStoreSeconds: 'audit_page_store_seconds',
  detections: 'audit_detections_total',
  eventsQuarantined: 'audit_events_quarantined_total',
  eventsForwarded: 'audit_events_forwarded_total',
  outputLagEvents: 'audit_output_lag_events',
  outputLagSeconds: 'audit_output_lag_seconds',
} as const;

/** Seconds; the SDK's default buckets are milliseconds-sized. Given to the exporter when the runtime is installed. */
export const PRODUCT_HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [PRODUCT_METRICS.apiRequestSeconds]: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  [PRODUCT_METRICS.apiWaitSeconds]: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  [PRODUCT_METRICS.pageStoreSeconds]: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
};

/** How a request to the API ended: an HTTP status class, 429 on its own, or no response at all. */
export type ApiOutcome = '2xx' | '3xx' | '4xx' | '429' | '5xx' | 'network' | 'cancelled';

/** Why a request waited: for its slot in the organization's pace, or the hold a 429 asked for. */
export type WaitReason = 'pace' | 'rate_limited';

export class ProductMetrics {
  readonly #eventsFetched;
  readonly #eventsInserted;
  readonly #apiRequests;
  readonly #apiRequestSeconds;
  readonly #apiWaitSeconds;
  readonly #pageStoreSeconds;
  readonly #detections;
  readonly #eventsQuarantined;
  readonly #eventsForwarded;
  readonly #outputLagEvents;
  readonly #outputLagSeconds;

  constructor(meter: MetricMeter) {
    this.#eventsFetched = meter.createCounter(PRODUCT_METRICS.eventsFetched, undefined, 'Events read from the API, per source (duplicates of a re-read page included)');
    this.#eventsInserted = meter.createCounter(PRODUCT_METRICS.eventsInserted, undefined, 'Events stored for the first time, per source');
    this.#apiRequests = meter.createCounter(PRODUCT_METRICS.apiRequests, undefined, 'Requests to the events-stream API, per source and status class');
    this.#apiRequestSeconds = meter.createHistogram(PRODUCT_METRICS.apiRequestSeconds, 'float', 's', 'Duration of one events-stream request (one page), per source');
    this.#apiWaitSeconds = meter.createHistogram(PRODUCT_METRICS.apiWaitSeconds, 'float', 's', 'Time requests were held back by the pace or by a 429, per source and reason');
    this.#pageStoreSeconds = meter.createHistogram(PRODUCT_METRICS.pageStoreSeconds, 'float', 's', "Duration of a page's PostgreSQL transaction (events, checkpoint, detections), per source");
    this.#detections = meter.createCounter(PRODUCT_METRICS.detections, undefined, 'Detections raised by ingestion, per source and rule');
    this.#eventsQuarantined = meter.createCounter(PRODUCT_METRICS.eventsQuarantined, undefined, 'Events held in the quarantine for the first time, per source and reason');
    this.#eventsForwarded = meter.createCounter(PRODUCT_METRICS.eventsForwarded, undefined, 'Events an output\'s destination acknowledged, per output and source');
    this.#outputLagEvents = meter.createGauge(PRODUCT_METRICS.outputLagEvents, 'int', undefined, 'Stored events an output has not delivered yet, per output and source');
    this.#outputLagSeconds = meter.createGauge(PRODUCT_METRICS.outputLagSeconds, 'float', 's', 'Seconds since the oldest event an output has not delivered was stored, per output and source');
  }

  /** The recorder of one output's forwarding: values carry the output's and the source's names. */
  forOutput(output: string): OutputMetrics {
    return {
      forwarded: (source, events) => this.#eventsForwarded.add(events, { output, source }),
      lag: (source, events, seconds) => {
        this.#outputLagEvents.set(events, { output, source });
        this.#outputLagSeconds.set(seconds, { output, source });
      },
    };
  }

  /** The recorder of one source's ingest path: every value it records carries the source's name. */
  forSource(source: string): SourceMetrics {
    return {
      pageStored: ({ fetched, inserted, rulesFired, quarantined = [], seconds }) => {
        this.#eventsFetched.add(fetched, { source });
        this.#eventsInserted.add(inserted, { source });
        this.#pageStoreSeconds.record(seconds, { source });
        for (const rule of rulesFired) this.#detections.add(1, { source, rule });
        for (const reason of quarantined) this.#eventsQuarantined.add(1, { source, reason });
      },
      apiRequest: (outcome, seconds) => {
        this.#apiRequests.add(1, { source, status_class: outcome });
        this.#apiRequestSeconds.record(seconds, { source });
      },
      apiWait: (reason, seconds) => this.#apiWaitSeconds.record(seconds, { source, reason }),
    };
  }
}

export interface SourceMetrics {
  /**
   * After the page's transaction committed: what it read, stored, detected and newly held in the quarantine (the
   * reason of each held event), and how long the transaction took.
   */
  pageStored(page: { fetched: number; inserted: number; rulesFired: readonly string[]; quarantined?: readonly QuarantineReason[]; seconds: number }): void;
  apiRequest(outcome: ApiOutcome, seconds: number): void;
  apiWait(reason: WaitReason, seconds: number): void;
}

export interface OutputMetrics {
  /** After the destination acknowledged a batch of the source. */
  forwarded(source: string, events: number): void;
  lag(source: string, events: number, seconds: number): void;
}

/** For tests and tools that create activities without a metrics endpoint. */
export const noProductMetrics = new ProductMetrics(noopMetricMeter);

export function apiOutcomeOf(err: unknown): ApiOutcome {
  if (err instanceof RateLimitedError) return '429';
  // The client turns every failure of the request into an AtlassianApiError, except the activity's cancellation.
  if (!(err instanceof AtlassianApiError)) return 'cancelled';
  const { status } = err;
  if (status === null) return 'network';
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  // A redirect (never followed: it would carry the key elsewhere), or a 2xx whose body did not parse.
  return status >= 300 ? '3xx' : '2xx';
}
