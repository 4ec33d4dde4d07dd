import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startSimulator } from '../../harness/simulator';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { freePort } from '../../scripts/stack/processes';
import { statusQuery } from '../../contract/source-messages';
import { enablePack } from '../../detections/store';
import { countEvents, createTestSource, eventually, openTestDatabase } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';
import { metricNamesQueried, scrape, type Sample } from '../../harness/prometheus';

const HISTORY = 3_000;
const DAY_MS = 24 * 3600_000;
const dashboardFile = path.join(__dirname, '..', '..', 'observability', 'grafana-dashboard.json');

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every PromQL expression of the dashboard, with the title of its panel, rows' nested panels included. */
function dashboardQueries(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: Panel[]; templating?: { list: { query?: unknown }[] } };
  const panels = (list: Panel[]): Panel[] => list.flatMap((panel) => [panel, ...panels(panel.panels ?? [])]);
  const fromPanels = panels(dashboard.panels).flatMap((panel) => (panel.targets ?? []).flatMap((target) => (target.expr ? [{ panel: panel.title ?? '', expr: target.expr }] : [])));
  // label_values(metric, label) in a variable queries a metric too.
  const fromVariables = (dashboard.templating?.list ?? []).flatMap((variable) => {
    const query = typeof variable.query === 'string' ? variable.query : (variable.query as { query?: string } | undefined)?.query;
    const match = query && /^label_values\((\w+),/.exec(query);
    return match ? [{ panel: 'variables', expr: match[1] }] : [];
  });
  return [...fromPanels, ...fromVariables];
}

const sum = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((total, s) => total + s.value, 0);

describe('a worker with METRICS_PORT and HEALTH_PORT set', () => {
  it('exports every metric the Grafana dashboard queries, counting per source what PostgreSQL holds', async () => {
    const simulator = await startSimulator({ seed: 71, orgs: [{}], history: { count: HISTORY, spanMs: 3 * DAY_MS } });
    const db = openTestDatabase();
    const client = await connectClient();
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const worker = new WorkerProcess(`metrics-${randomUUID()}`, { METRICS_PORT: String(metricsPort), HEALTH_PORT: String(healthPort) });
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, backfillDays: 4 });
      await enablePack(db, source.id, 'atlassian-core');
      // One detection for certain, whatever the generated history holds; one 429 and one 5xx on the way.
      simulator.addEvents(org.id, { events: [{ action: 'api_token_revoked', actor: { id: 'metrics-test-admin', name: 'Admin' }, time: new Date(Date.now() - 3_600_000).toISOString() }] });
      simulator.failNext({ kind: 'server-error', status: 429, count: 1, orgId: org.id });
      simulator.failNext({ kind: 'server-error', status: 503, count: 1, orgId: org.id });
      await worker.ready();
      const handle = await startSourceWorkflow(client, source, worker.taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting', 90_000, 200);

      const sdkAndProduct = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
      const state = await scrape(`http://127.0.0.1:${healthPort}/metrics`);
      const samples = [...sdkAndProduct, ...state];

      const exported = new Set(samples.map((s) => s.name));
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThanOrEqual(15);
      const missing = queries.flatMap(({ panel, expr }) => metricNamesQueried(expr).filter((name) => !exported.has(name)).map((name) => `${panel}: ${name}`));
      expect(missing).toEqual([]);

      const stored = await countEvents(db, source.id);
      const ofSource = { source: source.name };
      expect(sum(samples, 'audit_events_inserted_total', ofSource)).toBe(stored);
      expect(sum(samples, 'audit_events_fetched_total', ofSource)).toBeGreaterThanOrEqual(stored);
      expect(sum(samples, 'audit_api_requests_total', { ...ofSource, status_class: '429' })).toBe(1);
      expect(sum(samples, 'audit_api_requests_total', { ...ofSource, status_class: '5xx' })).toBe(1);
      expect(sum(samples, 'audit_api_requests_total', { ...ofSource, status_class: '2xx' })).toBeGreaterThanOrEqual(Math.ceil(stored / 500));
      expect(sum(samples, 'audit_api_wait_seconds_count', { ...ofSource, reason: 'rate_limited' })).toBe(1);
      expect(sum(samples, 'audit_page_store_seconds_count', ofSource)).toBeGreaterThanOrEqual(Math.ceil(stored / 500));

      const { rows: detections } = await db.query<{ rule_id: string; n: number }>('SELECT rule_id, count(*)::int AS n FROM detections WHERE source_id = $1 GROUP BY rule_id', [source.id]);
      expect(detections.map((d) => d.rule_id)).toContain('api-token-revoked');
      for (const { rule_id, n } of detections) expect({ rule_id, n: sum(samples, 'audit_detections_total', { ...ofSource, rule: rule_id }) }).toEqual({ rule_id, n });
      const { rows: open } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM alerts WHERE source_id = $1 AND kind = 'detection' AND status = 'open'", [source.id]);
      expect(sum(samples, 'audit_alerts_open', { ...ofSource, kind: 'detection' })).toBe(open[0].n);
      const lastPollAge = sum(samples, 'audit_source_last_poll_age_seconds', ofSource);
      expect(lastPollAge).toBeGreaterThanOrEqual(0);
      expect(lastPollAge).toBeLessThan(60);
      expect(samples.some((s) => s.name === 'audit_source_newest_event_age_seconds' && s.labels.source === source.name)).toBe(true);

      // Bounded cardinality: the product's series are told apart by these labels only, never by an event or actor.
      const labelNames = new Set(samples.filter((s) => s.name.startsWith('audit_')).flatMap((s) => Object.keys(s.labels)));
      expect([...labelNames].sort()).toEqual(['kind', 'le', 'reason', 'rule', 'source', 'status', 'status_class']);
      await handle.terminate('test done');
    } finally {
      await worker.stop();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }
  });
});
