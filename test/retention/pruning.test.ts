import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database';
import { placeLegalHold, setSourceRetentionDays } from '../../store/retention';
import { PRUNE_AGES_DAYS } from '../../store/store-pruning';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { withWorker } from '../../harness/worker';
import { DAY_MS, maintenanceActivities, runMaintenance, sourceIn } from './maintenance-kit';

// Every table but events is bounded by age (docs/store.md, "Store maintenance"): each is pruned at its default age and
// keeps what is younger; detections and held events go with their source's retention, and a legal hold keeps them.

const AS_OF = new Date('2026-06-15T12:00:00Z');
const ago = (days: number) => new Date(AS_OF.getTime() - days * DAY_MS);

describe('store maintenance prunes the bounded tables', () => {
  let own: OwnDatabase;
  let db: Database;
  beforeAll(async () => {
    own = await openOwnDatabase('pruning');
    db = own.db;
  });
  afterAll(() => own?.close());

  async function alert(sourceId: string, resolvedDaysAgo: number | null): Promise<number> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO alerts (source_id, kind, dedup_key, status, severity, title, message, opened_at, resolved_at)
       VALUES ($1, 'detection', $2, $3, 'low', 't', 'm', $4, $5) RETURNING id`,
      [sourceId, randomUUID(), resolvedDaysAgo === null ? 'open' : 'resolved', ago(400), resolvedDaysAgo === null ? null : ago(resolvedDaysAgo)],
    );
    return Number(rows[0].id);
  }
  async function delivery(alertId: number, status: string, createdDaysAgo: number): Promise<number> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO alert_deliveries (alert_id, notice, format, destination_id, status, created_at) VALUES ($1, 'opened', 'webhook', $2, $3, $4) RETURNING id`,
      [alertId, randomUUID(), status, ago(createdDaysAgo)],
    );
    return Number(rows[0].id);
  }
  async function detection(sourceId: string, eventTime: Date): Promise<string> {
    const eventId = randomUUID();
    await db.query(
      `INSERT INTO detections (source_id, pack_id, rule_id, severity, dedup_key, event_id, event_ids, event_time, actor_id, title)
       VALUES ($1, 'p', 'r', 'low', 'k', $2, ARRAY[$2], $3, 'actor', 't')`,
      [sourceId, eventId, eventTime],
    );
    return eventId;
  }
  async function heldEvent(sourceId: string, quarantinedAt: Date, reingestedAt: Date | null): Promise<number> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO quarantined_events (source_id, event_id, reason, detail, raw, raw_sha256, quarantined_at, reingested_at)
       VALUES ($1, 'e', 'schema', 'd', '{}', $2, $3, $4) RETURNING id`,
      [sourceId, randomUUID(), quarantinedAt, reingestedAt],
    );
    return Number(rows[0].id);
  }
  async function pacing(idleDaysAgo: number): Promise<string> {
    const budget = `http://sim ${randomUUID()}`;
    await db.query('INSERT INTO api_pacing (budget, next_request_at, spacing_until) VALUES ($1, $2, $2)', [budget, ago(idleDaysAgo)]);
    return budget;
  }
  async function finishedRun(finishedDaysAgo: number): Promise<number> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO maintenance_runs (workflow_id, run_id, as_of, status, started_at, finished_at) VALUES ($1, $1, $2, 'finished', $2, $2) RETURNING id`,
      [randomUUID(), ago(finishedDaysAgo)],
    );
    return Number(rows[0].id);
  }
  const present = async (table: string, column: string, values: unknown[]) => {
    const { rows } = await db.query(`SELECT ${column} AS v FROM ${table} WHERE ${column}::text = ANY($1::text[])`, [values.map(String)]);
    return new Set(rows.map((row) => String(row.v)));
  };

  it('prunes each table at its default age, keeps younger rows, and follows retention overrides and legal holds', async () => {
    const plain = await sourceIn(db, 'plain');
    const short = await sourceIn(db, 'short');
    const held = await sourceIn(db, 'held');
    await setSourceRetentionDays(db, short.id, 60);
    await placeLegalHold(db, held.id, 'counsel', 'case 42');
    // As of 2026-06-15: the default (365 days) keeps from 2025-06-01, 60 days keep from 2026-04-01.

    const oldResolved = await alert(plain.id, PRUNE_AGES_DAYS.resolvedAlerts + 1);
    const oldResolvedNotice = await delivery(oldResolved, 'delivered', 1);
    const youngResolved = await alert(plain.id, PRUNE_AGES_DAYS.resolvedAlerts - 1);
    const openAlert = await alert(plain.id, null);
    const oldDelivered = await delivery(youngResolved, 'delivered', PRUNE_AGES_DAYS.finishedDeliveries + 1);
    const oldFailed = await delivery(openAlert, 'failed', PRUNE_AGES_DAYS.finishedDeliveries + 1);
    const youngDelivered = await delivery(openAlert, 'delivered', PRUNE_AGES_DAYS.finishedDeliveries - 1);
    const oldPending = await delivery(openAlert, 'pending', 300);

    const expiredDetection = await detection(plain.id, new Date('2025-05-31T23:59:59Z'));
    const keptDetection = await detection(plain.id, new Date('2025-06-01T00:00:00Z'));
    const shortExpired = await detection(short.id, new Date('2026-03-31T23:00:00Z'));
    const shortKept = await detection(short.id, new Date('2026-04-01T00:00:00Z'));
    const heldAncient = await detection(held.id, new Date('2020-01-01T00:00:00Z'));

    const oldReingested = await heldEvent(plain.id, ago(100), ago(PRUNE_AGES_DAYS.reingestedQuarantine + 1));
    const youngReingested = await heldEvent(plain.id, ago(100), ago(PRUNE_AGES_DAYS.reingestedQuarantine - 1));
    const expiredHeld = await heldEvent(plain.id, new Date('2025-05-01T00:00:00Z'), null);
    const keptHeld = await heldEvent(plain.id, new Date('2025-07-01T00:00:00Z'), null);
    const heldSourceHeld = await heldEvent(held.id, new Date('2020-01-01T00:00:00Z'), null);

    const idlePacing = await pacing(PRUNE_AGES_DAYS.idlePacing + 1);
    const recentPacing = await pacing(PRUNE_AGES_DAYS.idlePacing - 1);
    const oldRun = await finishedRun(PRUNE_AGES_DAYS.finishedMaintenanceRuns + 1);
    const youngRun = await finishedRun(PRUNE_AGES_DAYS.finishedMaintenanceRuns - 1);

    const result = await withWorker(maintenanceActivities(db), ({ client, taskQueue }) => runMaintenance(client, taskQueue, { asOf: AS_OF.toISOString() }));

    expect(await present('alerts', 'id', [oldResolved, youngResolved, openAlert])).toEqual(new Set([String(youngResolved), String(openAlert)]));
    expect(await present('alert_deliveries', 'id', [oldResolvedNotice, oldDelivered, oldFailed, youngDelivered, oldPending])).toEqual(
      new Set([String(youngDelivered), String(oldPending)]),
    );
    expect(await present('detections', 'event_id', [expiredDetection, keptDetection, shortExpired, shortKept, heldAncient])).toEqual(
      new Set([keptDetection, shortKept, heldAncient]),
    );
    expect(await present('quarantined_events', 'id', [oldReingested, youngReingested, expiredHeld, keptHeld, heldSourceHeld])).toEqual(
      new Set([String(youngReingested), String(keptHeld), String(heldSourceHeld)]),
    );
    expect(await present('api_pacing', 'budget', [idlePacing, recentPacing])).toEqual(new Set([recentPacing]));
    expect(await present('maintenance_runs', 'id', [oldRun, youngRun])).toEqual(new Set([String(youngRun)]));

    expect(result.rowsPruned).toEqual({ alerts: 1, alert_deliveries: 2, detections: 2, quarantined_events: 2, api_pacing: 1, maintenance_runs: 1 });
    const { rows } = await db.query('SELECT status, as_of, report FROM maintenance_runs WHERE id = $1', [result.maintenanceRunId]);
    expect(rows[0]).toMatchObject({ status: 'finished', as_of: AS_OF });
    expect(rows[0].report.pruned).toEqual({ alerts: 1, alert_deliveries: 2, detections: 2, quarantined_events: 2, api_pacing: 1, maintenance_runs: 1 });
    expect(rows[0].report.retention).toMatchObject({ sourcesHeld: 1 });
  });
});
