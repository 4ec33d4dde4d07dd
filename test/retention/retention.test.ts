import type { RetentionHold } from '../../activities/store-maintenance';
import type { Database } from '../../store/database';
import { placeLegalHold, releaseLegalHold, setSourceRetentionDays } from '../../store/retention';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { withWorker } from '../../harness/worker';
import { eventsInMonths, maintenanceActivities, monthsOf, runMaintenance, sourceIn } from './maintenance-kit';

// Retention drops whole months of a source's events, never rows: every month before the start of the month that holds
// (as of - retention), unless a legal hold keeps the source or a retention hold (an output's undelivered events) keeps
// the month. Each case runs the maintenance workflow as its Schedule would, judged as of a fixed instant.

describe('retention by dropping month partitions', () => {
  let own: OwnDatabase;
  let db: Database;
  beforeEach(async () => {
    own = await openOwnDatabase('retention');
    db = own.db;
  });
  afterEach(() => own?.close());

  it('drops exactly the expired months, keeps the current ones, follows the per-source override, and keeps a held source whole', async () => {
    // As of 2025-06-15, the default 365 days keep from 2024-06-01, and 60 days keep from 2025-04-01.
    const asOf = '2025-06-15T12:00:00.000Z';
    const months = ['2024-04', '2024-05', '2024-06', '2024-07', '2025-03', '2025-04', '2025-06'];
    const plain = await sourceIn(db, 'plain');
    const short = await sourceIn(db, 'short');
    const held = await sourceIn(db, 'held');
    for (const source of [plain, short, held]) await eventsInMonths(db, source, months);
    await setSourceRetentionDays(db, short.id, 60);
    await placeLegalHold(db, held.id, 'counsel', 'case 42');

    const result = await withWorker(maintenanceActivities(db), ({ client, taskQueue }) => runMaintenance(client, taskQueue, { asOf }));

    const stored = (all: Record<string, number>) => Object.fromEntries(Object.entries(all).filter(([month]) => month <= '2025-06'));
    expect(stored(await monthsOf(db, plain.id))).toEqual({ '2024-06': 1, '2024-07': 1, '2025-03': 1, '2025-04': 1, '2025-06': 1 });
    expect(stored(await monthsOf(db, short.id))).toEqual({ '2025-04': 1, '2025-06': 1 });
    expect(stored(await monthsOf(db, held.id))).toEqual({ '2024-04': 1, '2024-05': 1, '2024-06': 1, '2024-07': 1, '2025-03': 1, '2025-04': 1, '2025-06': 1 });
    expect(result).toMatchObject({ monthsDropped: 2 + 5, monthsDeferred: 0 });
    const { rows } = await db.query('SELECT report FROM maintenance_runs WHERE id = $1', [result.maintenanceRunId]);
    expect(rows[0].report.retention).toMatchObject({ dropped: 7, rowsDropped: 7, deferred: 0, sourcesHeld: 1 });
    expect(rows[0].report.retention['plain 2024-04']).toEqual({ rows: 1 });

    // Lifting the hold lets the next run drop what is expired.
    await releaseLegalHold(db, held.id, 'counsel', 'case 42 closed');
    await withWorker(maintenanceActivities(db), ({ client, taskQueue }) => runMaintenance(client, taskQueue, { asOf }));
    expect(Object.keys(stored(await monthsOf(db, held.id)))).toEqual(['2024-06', '2024-07', '2025-03', '2025-04', '2025-06']);
  });

  it('keeps the months a retention hold still needs (an output that has not delivered them), and drops them once it lets go', async () => {
    const asOf = '2025-06-15T12:00:00.000Z';
    const forwarded = await sourceIn(db, 'forwarded');
    await eventsInMonths(db, forwarded, ['2024-03', '2024-04', '2024-05', '2024-06']);
    let undeliveredSince: Date | null = new Date('2024-04-20T00:00:00Z');
    const outputs: RetentionHold = {
      name: 'events not yet delivered by an output',
      oldestKept: async (_db, sourceId) => (sourceId === forwarded.id ? undeliveredSince : null),
    };
    const activities = maintenanceActivities(db, { retentionHolds: [outputs] });

    const first = await withWorker(activities, ({ client, taskQueue }) => runMaintenance(client, taskQueue, { asOf }));
    expect(Object.keys(await monthsOf(db, forwarded.id)).filter((m) => m <= '2024-06')).toEqual(['2024-04', '2024-05', '2024-06']);
    const { rows } = await db.query('SELECT report FROM maintenance_runs WHERE id = $1', [first.maintenanceRunId]);
    expect(rows[0].report.retention['forwarded kept from 2024-04']).toEqual({ by: ['events not yet delivered by an output'] });

    undeliveredSince = null;
    await withWorker(activities, ({ client, taskQueue }) => runMaintenance(client, taskQueue, { asOf }));
    expect(Object.keys(await monthsOf(db, forwarded.id)).filter((m) => m <= '2024-06')).toEqual(['2024-06']);
  });

  it('keeps every month from the oldest event an output has not delivered, and drops them once it has', async () => {
    const asOf = '2025-06-15T12:00:00.000Z';
    const forwarded = await sourceIn(db, 'forwarded-to-siem');
    // One page: the months' events get seqs 1 to 4 in this order.
    await eventsInMonths(db, forwarded, ['2024-03', '2024-04', '2024-05', '2024-06']);
    const { rows: outputs } = await db.query<{ id: string }>("INSERT INTO outputs (name, kind, format, all_sources) VALUES ('siem', 'http', 'raw', false) RETURNING id");
    await db.query('INSERT INTO output_sources (output_id, source_id) VALUES ($1, $2)', [outputs[0].id, forwarded.id]);
    await db.query('INSERT INTO output_positions (output_id, source_id, delivered_seq) VALUES ($1, $2, 1)', [outputs[0].id, forwarded.id]);
    const stored = async () => Object.keys(await monthsOf(db, forwarded.id)).filter((m) => m <= '2024-06');

    // Retention alone (365 days, as of 2025-06-15) would keep from 2024-06; the output still needs 2024-04 on.
    await withWorker(maintenanceActivities(db), ({ client, taskQueue }) => runMaintenance(client, taskQueue, { asOf }));
    expect(await stored()).toEqual(['2024-04', '2024-05', '2024-06']);

    await db.query('UPDATE output_positions SET delivered_seq = 4 WHERE output_id = $1', [outputs[0].id]);
    await withWorker(maintenanceActivities(db), ({ client, taskQueue }) => runMaintenance(client, taskQueue, { asOf }));
    expect(await stored()).toEqual(['2024-06']);
  });

  it('catches up after a month without maintenance: expired months go, and no partition is made that is already expired', async () => {
    const late = await sourceIn(db, 'late');
    await setSourceRetentionDays(db, late.id, 60);
    // A source whose backfill reaches far back: partitions from there on would be made, were it not for retention.
    await db.query("UPDATE checkpoints SET backfill_from = '2024-01-01T00:00:00Z' WHERE source_id = $1", [late.id]);

    await withWorker(maintenanceActivities(db), async ({ client, taskQueue }) => {
      // 2025-04-15, 60 days: keeps from 2025-02-01.
      await runMaintenance(client, taskQueue, { asOf: '2025-04-15T12:00:00.000Z' });
      const before = Object.keys(await monthsOf(db, late.id)).filter((m) => m <= '2025-06');
      expect(before).toEqual(['2025-02', '2025-03', '2025-04', '2025-05', '2025-06']);
      await eventsInMonths(db, late, ['2025-02', '2025-03', '2025-04']);

      // Two months later, no run in between. 2025-06-15, 60 days: keeps from 2025-04-01.
      const caughtUp = await runMaintenance(client, taskQueue, { asOf: '2025-06-15T12:00:00.000Z' });
      const months = await monthsOf(db, late.id);
      expect(Object.entries(months).filter(([m]) => m <= '2025-08')).toEqual([
        ['2025-04', 1],
        ['2025-05', 0],
        ['2025-06', 0],
        ['2025-07', 0],
        ['2025-08', 0],
      ]);
      const { rows } = await db.query('SELECT report FROM maintenance_runs WHERE id = $1', [caughtUp.maintenanceRunId]);
      const made: string[] = rows[0].report.partitions.tables;
      const compact = late.id.replace(/-/g, '');
      expect(made.filter((table) => table.includes(compact)).sort()).toEqual([`events_${compact}_202507`, `events_${compact}_202508`]);
      expect(caughtUp.monthsDropped).toBe(2);
    });
  });
});
