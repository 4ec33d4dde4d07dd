import { randomUUID } from 'node:crypto';
import { setSourceDestination } from '../../alerts/destinations';
import { reportHeldEvents } from '../../alerts/quarantine-alert';
import type { Database } from '../../store/database';
import { alertDispatcherWorkflowId } from '../../contract/ids';
import { wakeDispatcherSignal } from '../../contract/alert-messages';
import { enablePack } from '../../detections/store';
import { connectClient } from '../../harness/worker';
import { quarantineEvents } from '../../store/quarantine';
import type { SourceRecord } from '../../store/sources';
import { createTestSource, testCipher } from '../../harness/sources';
import { cliEnvironment, openTestDatabase } from './cli-test-setup';
import { refusal, runCli, succeeded } from './run-cli';

// `atlassian-audit quarantine`: lists what is held without the event text unless asked, and re-ingests with the
// current rules: what stores now is stored once, what still fails stays held with its new reason.

const event = (id: string, attributes: Record<string, unknown>) =>
  JSON.stringify({
    id,
    type: 'events',
    attributes: { time: '2026-11-01T10:00:00Z', processedAt: '2026-11-01T10:00:01Z', action: 'user_login', actor: { id: 'held-actor', name: 'Held Person', email: 'held.person@example.com' }, ...attributes },
  });

/** What a page of an older release held: a NUL it could not store, and a year no release stores. */
async function sourceWithHeldEvents(db: Database, held: Array<{ id: string; reason: 'database' | 'implausible_time'; raw: string }>): Promise<SourceRecord> {
  const source = await createTestSource(db, { organizationId: randomUUID(), apiKey: 'simkey_unused', apiBaseUrl: 'http://127.0.0.1:9' });
  await db.withTransaction(async (tx) => {
    await quarantineEvents(tx, source.id, held.map((h) => ({ eventId: h.id, reason: h.reason, detail: 'as an older release held it', raw: h.raw })));
    await reportHeldEvents(tx, source, held.length);
  });
  return source;
}

async function heldAlert(db: Database, sourceId: string) {
  const { rows } = await db.query<{ status: string; details: { held: number } }>("SELECT status, details FROM alerts WHERE source_id = $1 AND kind = 'quarantine' AND dedup_key = 'held'", [sourceId]);
  return rows;
}

describe('atlassian-audit quarantine', () => {
  let db: Database;
  const cli = (args: string[]) => runCli(args, { env: cliEnvironment('no-worker-needed', 'http://127.0.0.1:9') });
  beforeAll(() => {
    db = openTestDatabase();
  });
  afterAll(() => db.close());

  it('lists held events without their text unless --raw, and re-ingests what the current rules store', async () => {
    const nul = event('held-nul', { actor: { id: 'held-actor', name: 'mallory\u0000' } });
    const year0 = event('held-year-0', { time: '0000-01-01T00:00:00Z' });
    const source = await sourceWithHeldEvents(db, [
      { id: 'held-nul', reason: 'database', raw: nul },
      { id: 'held-year-0', reason: 'implausible_time', raw: year0 },
    ]);

    const listed = JSON.parse(succeeded(await cli(['quarantine', '--source', source.name, '-o', 'json']))) as Array<Record<string, unknown>>;
    expect(listed.map(({ source: s, eventId, reason }) => ({ s, eventId, reason }))).toEqual([
      { s: source.name, eventId: 'held-nul', reason: 'database' },
      { s: source.name, eventId: 'held-year-0', reason: 'implausible_time' },
    ]);
    expect(listed.every((entry) => !('raw' in entry))).toBe(true);
    const table = succeeded(await cli(['quarantine', '--source', source.name]));
    expect(table).toMatch(/^ID\s+QUARANTINED\s+SOURCE\s+EVENT ID\s+REASON\s+DETAIL$/m);
    expect(table).toContain('held-year-0');
    expect(table).not.toContain('held.person@example.com');
    const withRaw = succeeded(await cli(['quarantine', '--source', source.name, '--raw']));
    expect(withRaw).toContain('held.person@example.com');
    // The NUL is shown as its JSON escape, never written to the terminal.
    expect(withRaw).not.toContain('\u0000');

    const [nulId, year0Id] = listed.map((entry) => String(entry.id));
    const output = succeeded(await cli(['quarantine', 'reingest', '--source', source.name]));
    expect(output.trimEnd().split('\n')).toEqual([
      `${nulId}: stored (${source.name}, event held-nul)`,
      `${year0Id}: still held (${source.name}): implausible_time: attributes.time "0000-01-01T00:00:00Z" is before 2000 or more than a day ahead`,
    ]);
    const { rows } = await db.query<{ actor_name: string; original: string }>("SELECT actor_name, original FROM events WHERE source_id = $1 AND event_id = 'held-nul'", [source.id]);
    expect(rows).toEqual([{ actor_name: 'mallory\uFFFD', original: nul }]);
    const { rows: held } = await db.query<{ event_id: string; reason: string; reingested: boolean }>(
      'SELECT event_id, reason, reingested_at IS NOT NULL AS reingested FROM quarantined_events WHERE source_id = $1 ORDER BY id',
      [source.id],
    );
    expect(held).toEqual([
      { event_id: 'held-nul', reason: 'database', reingested: true },
      { event_id: 'held-year-0', reason: 'implausible_time', reingested: false },
    ]);
    expect(await heldAlert(db, source.id)).toEqual([{ status: 'open', details: { held: 1 } }]);
    const { rows: [checkpoint] } = await db.query<{ events_ingested: string }>('SELECT events_ingested FROM checkpoints WHERE source_id = $1', [source.id]);
    expect(Number(checkpoint.events_ingested)).toBe(1);

    // Exactly once: the stored event is no longer held, and asking again stores nothing twice.
    expect(refusal(await cli(['quarantine', 'reingest', nulId]))).toBe(`error: not held (unknown, or re-ingested already): ${nulId}; \`quarantine\` lists the held events`);
    const remaining = JSON.parse(succeeded(await cli(['quarantine', '--source', source.name, '-o', 'json']))) as unknown[];
    expect(remaining).toHaveLength(1);
    const { rows: count } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE source_id = $1', [source.id]);
    expect(count[0].n).toBe(1);
  });

  it('resolves the source alert once nothing is held any more', async () => {
    const source = await sourceWithHeldEvents(db, [{ id: 'held-surrogate', reason: 'database', raw: event('held-surrogate', { actor: { id: 'x', name: 'eve\uD800' } }) }]);
    expect(await heldAlert(db, source.id)).toEqual([{ status: 'open', details: { held: 1 } }]);
    const [entry] = JSON.parse(succeeded(await cli(['quarantine', '--source', source.name, '-o', 'json']))) as Array<{ id: number }>;
    const result = JSON.parse(succeeded(await cli(['quarantine', 'reingest', String(entry.id), '-o', 'json'])));
    expect(result).toEqual({ reingested: [{ id: entry.id, outcome: 'stored', source: source.name, eventId: 'held-surrogate' }] });
    expect(await heldAlert(db, source.id)).toEqual([{ status: 'resolved', details: { held: 1 } }]);
    expect(succeeded(await cli(['quarantine', '--source', source.name]))).toBe(`no held events for ${source.name}\n`);
  });

  it('stores a held event older than the source\'s first month, making its month as a page would', async () => {
    const monthsAgo = new Date(Date.now() - 150 * 24 * 3600_000).toISOString();
    const source = await sourceWithHeldEvents(db, [{ id: 'held-old', reason: 'database', raw: event('held-old', { time: monthsAgo, processedAt: monthsAgo, actor: { id: 'x', name: 'old\u0000' } }) }]);
    const result = JSON.parse(succeeded(await cli(['quarantine', 'reingest', '--source', source.name, '-o', 'json'])));
    expect(result).toEqual({ reingested: [{ id: expect.any(Number), outcome: 'stored', source: source.name, eventId: 'held-old' }] });
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE source_id = $1 AND event_id = 'held-old'", [source.id]);
    expect(rows[0].n).toBe(1);
  });

  it("runs the source's detection packs over what it stores, as a page would: a held event does not slip past the rules", async () => {
    const risky = event('held-token', { action: 'api_token_created', actor: { id: 'held-actor', name: 'mallory\u0000' } });
    const plain = event('held-login', { actor: { id: 'held-actor', name: 'mallory\u0000' } });
    const source = await sourceWithHeldEvents(db, [
      { id: 'held-token', reason: 'database', raw: risky },
      { id: 'held-login', reason: 'database', raw: plain },
    ]);
    await enablePack(db, source.id, 'atlassian-core');
    // A task queue of its own, where no worker polls: the dispatcher the command wakes stays to be looked at.
    const taskQueue = `reingest-${randomUUID()}`;
    const run = await runCli(['quarantine', 'reingest', '--source', source.name, '-o', 'json'], { env: cliEnvironment(taskQueue, 'http://127.0.0.1:9') });
    expect(JSON.parse(succeeded(run)).reingested.map((o: { outcome: string }) => o.outcome)).toEqual(['stored', 'stored']);
    const { rows: detections } = await db.query<{ rule_id: string; event_id: string }>('SELECT rule_id, event_id FROM detections WHERE source_id = $1', [source.id]);
    expect(detections).toEqual([{ rule_id: 'api-token-created', event_id: 'held-token' }]);
    const { rows: alerts } = await db.query<{ kind: string; status: string }>("SELECT kind, status FROM alerts WHERE source_id = $1 AND kind <> 'quarantine'", [source.id]);
    expect(alerts).toEqual([{ kind: 'detection', status: 'open' }]);
    // Their notices go out now, not at the dispatcher's next sweep.
    const client = await connectClient();
    try {
      const dispatcher = client.workflow.getHandle(alertDispatcherWorkflowId(taskQueue));
      const signals = (await dispatcher.fetchHistory()).events?.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName);
      expect(signals).toEqual([wakeDispatcherSignal.name]);
      await dispatcher.terminate('test done');
    } finally {
      await client.connection.close();
    }
  });

  it('routes the quarantine kind like the others: a destination that takes only it hears of the alert', async () => {
    const source = await createTestSource(db, { organizationId: randomUUID(), apiKey: 'simkey_unused', apiBaseUrl: 'http://127.0.0.1:9' });
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', 'http://127.0.0.1:9/quarantine-only', { kinds: ['quarantine'] });
    await db.withTransaction((tx) => reportHeldEvents(tx, source, 4));
    const { rows } = await db.query<{ kind: string; notice: string; shown_url: string }>(
      `SELECT a.kind, d.notice, t.shown_url FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
         JOIN alert_destinations t ON t.id::text = d.destination_id WHERE a.source_id = $1`,
      [source.id],
    );
    // Global destinations other tests configured may hear of it too.
    expect(rows).toContainEqual({ kind: 'quarantine', notice: 'opened', shown_url: 'http://127.0.0.1:9/…' });
  });

  it.each([
    [['quarantine', 'reingest'], /^error: say which held events: their ids, or --source NAME$/],
    [['quarantine', 'reingest', 'abc'], /^error: a held event id is a number/],
    [['quarantine', '--source', 'no-such-source'], /^error: no source named "no-such-source"/],
  ])('refuses %j with one line', async (args, message) => {
    expect(refusal(await cli(args))).toMatch(message);
  });
});
