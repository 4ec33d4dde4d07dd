import { Gauge, Registry } from 'prom-client';
import type { Database } from '../store/database';
import { sourceFreshness } from '../store/checkpoints';
import { countOpenAlerts, countUndeliveredNotices } from '../alerts/alert-queries';

/**
 * What PostgreSQL says at the moment of the scrape: freshness, open alerts and undelivered notices. These
 * are facts of the whole deployment, not of one worker, so each worker reports the same values (aggregate with max,
 * not sum), and a removed source's series disappear with it. The SDK's meter only records values pushed to it, so
 * these live in a prom-client registry of their own, read on each scrape.
 */
export const STATE_METRICS = {
  newestEventAge: 'audit_source_newest_event_age_seconds',
  lastPollAge: 'audit_source_last_poll_age_seconds',
  alertsOpen: 'audit_alerts_open',
  alertDeliveries: 'audit_alert_deliveries',
} as const;

export function createStateMetrics(db: Pick<Database, 'query'>): Registry {
  const registry = new Registry();
  new Gauge({
    name: STATE_METRICS.newestEventAge,
    help: "Seconds since the processedAt of the source's newest stored event",
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await sourceFreshness(db)) if (row.newestEventAgeSeconds !== null) this.set({ source: row.source }, row.newestEventAgeSeconds);
    },
  });
  new Gauge({
    name: STATE_METRICS.lastPollAge,
    help: "Seconds since the source's last successful poll (a page read and committed)",
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await sourceFreshness(db)) if (row.lastPollAgeSeconds !== null) this.set({ source: row.source }, row.lastPollAgeSeconds);
    },
  });
  new Gauge({
    name: STATE_METRICS.alertsOpen,
    help: 'Open alerts per source and kind',
    labelNames: ['source', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await countOpenAlerts(db)) this.set({ source: row.source, kind: row.kind }, row.open);
    },
  });
  new Gauge({
    name: STATE_METRICS.alertDeliveries,
    help: 'Alert notices not delivered: pending (being retried) or failed (given up)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const { pending, failed } = await countUndeliveredNotices(db);
      this.set({ status: 'pending' }, pending);
      this.set({ status: 'failed' }, failed);
    },
  });
  return registry;
}
