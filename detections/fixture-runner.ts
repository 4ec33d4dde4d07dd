import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { toEventRow } from '../atlassian/normalize';
import type { Database } from '../store/database';
import { insertEvents } from '../store/events';
import { createEventMonth } from '../store/event-partitions';
import { evaluateEvents } from './engine';
import type { FixtureCase, RuleFixtures } from './fixture-file';
import type { PackedRule } from './registry';

export interface CaseResult {
  file: string;
  ruleId: string;
  caseName: string;
  expect: FixtureCase['expect'];
  passed: boolean;
  /** Why the case failed, or what it saw when it passed. */
  detail: string;
}

/**
 * Runs each case through the real engine, as ingestion runs it: in a transaction that is always rolled back, a
 * scratch source receives the case's events one page each, in order, with only the rule under test enabled; the
 * detections it stored are read back. Threshold and new-value rules count and look back over those stored events,
 * so they are tested as they run. The scratch source's history starts at the case's first event: a new-value rule
 * fires only in a case that spans its learning period.
 */
export async function runRuleFixtures(db: Database, fixtures: RuleFixtures, rule: PackedRule): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const fixtureCase of fixtures.cases) {
    const firedOn = await inRolledBackTransaction(db, (tx) => detectedEventIndexes(tx, fixtureCase, rule));
    const last = fixtureCase.events.length - 1;
    const passed = fixtureCase.expect === 'fire' ? firedOn.includes(last) : firedOn.length === 0;
    results.push({ file: fixtures.file, ruleId: fixtures.ruleId, caseName: fixtureCase.name, expect: fixtureCase.expect, passed, detail: outcome(firedOn, last) });
  }
  return results;
}

function outcome(firedOn: number[], last: number): string {
  const events = `${last + 1} event${last === 0 ? '' : 's'}`;
  if (firedOn.length === 0) return `no detection on any of its ${events}`;
  return `detections on event${firedOn.length === 1 ? '' : 's'} ${firedOn.map((i) => `#${i + 1}`).join(', ')} of ${events}`;
}

/** The indexes of the case's events that raised a detection. */
async function detectedEventIndexes(tx: PoolClient, fixtureCase: FixtureCase, { packId, rule }: PackedRule): Promise<number[]> {
  const rows = fixtureCase.events.map(toEventRow);
  const source = await scratchSource(tx, rows[0].eventTime);
  for (const month of new Set(rows.map((row) => new Date(row.eventTime).toISOString().slice(0, 7)))) await createEventMonth(tx, source.id, `${month}-01`);
  for (const row of rows) {
    // A repeated event id is stored once, as the ingest path stores it, and evaluated once.
    const { insertedIds } = await insertEvents(tx, source.id, source.name, [row]);
    if (insertedIds.length > 0) await evaluateEvents(tx, source, [row], [{ packId, rule }], fixtureCase.settings, { newEvents: true });
  }
  const { rows: detected } = await tx.query<{ event_id: string }>('SELECT event_id FROM detections WHERE source_id = $1', [source.id]);
  const ids = new Set(detected.map((d) => d.event_id));
  return rows.flatMap((row, index) => (ids.has(row.eventId) ? [index] : []));
}

/** A source no workflow polls, whose history (checkpoint's backfill start) begins at the case's first event. */
async function scratchSource(tx: PoolClient, historyStart: string): Promise<{ id: string; name: string }> {
  const name = `fixtures-${randomUUID().slice(0, 8)}`;
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO sources (name, organization_id, api_key_ciphertext, api_base_url, poll_interval_seconds, silence_window_seconds)
     VALUES ($1, 'fixtures', '\\x'::bytea, 'http://127.0.0.1:9', 60, 86400) RETURNING id`,
    [name],
  );
  await tx.query('INSERT INTO checkpoints (source_id, backfill_from) VALUES ($1, $2)', [rows[0].id, historyStart]);
  return { id: rows[0].id, name };
}

/** Runs the work in a transaction that is rolled back whatever happens: fixtures leave nothing behind. */
async function inRolledBackTransaction<T>(db: Database, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    return await work(client);
  } finally {
    await client.query('ROLLBACK').catch((err: Error) => (broken = err));
    client.release(broken);
  }
}
