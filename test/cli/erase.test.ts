import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../../atlassian/schema';
import { toEventRow } from '../../atlassian/normalize';
import type { Database } from '../../store/database';
import { insertEvents } from '../../store/events';
import { quarantineEvents } from '../../store/quarantine';
import type { SourceRecord } from '../../store/sources';
import { createTestSource } from '../../harness/sources';
import { cliEnvironment, openTestDatabase } from './cli-test-setup';
import { refusal, runCli, succeeded } from './run-cli';

// `atlassian-audit erase`: a dry run counts and changes nothing; a real run takes one person out of events (columns,
// raw, original), held events, detections and alerts, keeps ids, actions and times, leaves everyone else as they
// were, and records itself; a second run redacts nothing more and is recorded too.

interface Who {
  id: string;
  name: string;
  email: string;
}

const person = (name: string): Who => {
  const tag = randomUUID().slice(0, 8);
  return { id: `557058:${randomUUID()}`, name: `${name} ${tag}`, email: `${name.toLowerCase()}.${tag}@Example.com` };
};

const event = (id: string, actor: Who, ip: string, extra: { context?: unknown[]; message?: string } = {}): AuditEvent =>
  ({
    id,
    type: 'events',
    attributes: {
      time: '2026-11-01T10:00:00Z',
      processedAt: '2026-11-01T10:00:01Z',
      action: extra.context ? 'user_granted_role' : 'user_login',
      actor: { id: actor.id, name: actor.name, email: actor.email, links: { self: `https://api.atlassian.com/users/${actor.id}/manage/profile` } },
      context: extra.context ?? [],
      container: [{ id: 'org-1', type: 'organization', attributes: { name: 'Acme' } }],
      location: { ip, geo: 'Paris, France', countryName: 'France' },
    },
    ...(extra.message ? { message: { content: extra.message, format: 'simple' } } : {}),
    links: { self: `https://api.atlassian.com/admin/v1/orgs/o/events/${id}` },
  }) as unknown as AuditEvent;

const userEntry = (who: Who, withEmail = true) => ({ id: who.id, type: 'users', attributes: { name: who.name, ...(withEmail ? { email: who.email } : {}) } });

async function storeEvents(db: Database, source: SourceRecord, events: AuditEvent[], original?: { eventId: string; text: string }): Promise<void> {
  await db.withTransaction((tx) =>
    insertEvents(tx, source.id, source.name, events.map((e) => ({ ...toEventRow(e), ...(original?.eventId === e.id ? { original: original.text } : {}) }))),
  );
}

async function storeDetection(db: Database, source: SourceRecord, eventId: string, actor: Who, ip: string, title: string): Promise<void> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO alerts (source_id, kind, dedup_key, severity, title, message, details, group_key, detection_count, first_event_at, last_event_at)
     VALUES ($1, 'detection', $2, 'high', $3, $4, $5, $6, 1, '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z') RETURNING id`,
    [
      source.id,
      `rule:${eventId}`,
      title,
      `Rule (rule, high) on source ${source.name}: ${actor.name} from ${ip}, France at 2026-11-01T10:00:00.000Z, event ${eventId}.`,
      JSON.stringify({ ruleId: 'rule', eventIds: [eventId], actor: { id: actor.id, name: actor.name, email: actor.email }, ip, country: 'France' }),
      `rule:${actor.id}`,
    ],
  );
  await db.query(
    `INSERT INTO detections (source_id, pack_id, rule_id, severity, dedup_key, event_id, event_ids, event_time, actor_id, actor_name, actor_email, ip, title, alert_id)
     VALUES ($1, 'pack', 'rule', 'high', $2, $3, ARRAY[$3], '2026-11-01T10:00:00Z', $4, $5, $6, $7, $8, $9)`,
    [source.id, actor.id, eventId, actor.id, actor.name, actor.email, ip, title, rows[0].id],
  );
}

/** Every row of the given sources in the tables an erasure touches, for before-and-after comparisons. */
async function snapshot(db: Database, sources: SourceRecord[]) {
  const ids = sources.map((s) => s.id);
  const read = async (sql: string) => (await db.query(sql, [ids])).rows;
  return {
    events: await read('SELECT * FROM events WHERE source_id = ANY($1) ORDER BY source_id, event_id'),
    quarantined: await read('SELECT * FROM quarantined_events WHERE source_id = ANY($1) ORDER BY id'),
    detections: await read('SELECT * FROM detections WHERE source_id = ANY($1) ORDER BY id'),
    alerts: await read('SELECT * FROM alerts WHERE source_id = ANY($1) ORDER BY id'),
  };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** The rows whose text mentions any of the values, ignoring case. */
function mentioning(snap: Snapshot, values: string[]): string[] {
  const found: string[] = [];
  for (const [table, rows] of Object.entries(snap)) {
    for (const row of rows) {
      const text = JSON.stringify(row).toLowerCase();
      for (const value of values) if (text.includes(value.toLowerCase())) found.push(`${table}: ${value}`);
    }
  }
  return found;
}

const keyFields = (snap: Snapshot) => snap.events.map((e) => ({ source: e.source_id, id: e.event_id, action: e.action, time: e.event_time, p_time: e.p_event_time }));

describe('atlassian-audit erase', () => {
  let db: Database;
  const cli = (args: string[]) => runCli(args, { env: cliEnvironment('no-worker-needed', 'http://127.0.0.1:9') });
  beforeAll(() => {
    db = openTestDatabase();
  });
  afterAll(() => db.close());

  it('counts in a dry run, redacts every place by account id, keeps the trail and everyone else, and runs again as a no-op', async () => {
    const alice = person('Alice');
    const bob = person('Bob');
    const namesake = { ...person('Other'), name: alice.name };
    const org = { organizationId: randomUUID(), apiKey: 'simkey_unused', apiBaseUrl: 'http://127.0.0.1:9' };
    const [first, second] = [await createTestSource(db, org), await createTestSource(db, org)];
    const aliceLogin = event('e-alice-login', alice, '203.0.113.7');
    const granted = event('e-bob-grants', bob, '198.51.100.9', { context: [userEntry(alice)], message: `${bob.name} made ${alice.name} an admin` });
    await storeEvents(db, first, [
      aliceLogin,
      granted,
      event('e-bob-login', bob, '198.51.100.9'),
      // Someone else of the same name, without an e-mail: not hers.
      event('e-namesake', bob, '198.51.100.9', { context: [userEntry(namesake, false)] }),
    ]);
    const stored = event('e-alice-elsewhere', alice, '203.0.113.8');
    await storeEvents(db, second, [stored], { eventId: stored.id, text: JSON.stringify(stored).replace('"Paris', '"\\u0000Paris') });
    await db.withTransaction((tx) =>
      quarantineEvents(tx, first.id, [
        { eventId: 'held-alice', reason: 'implausible_time', detail: 'time out of range', raw: JSON.stringify(event('held-alice', alice, '203.0.113.9')) },
        { eventId: 'held-bob', reason: 'implausible_time', detail: 'time out of range', raw: JSON.stringify(event('held-bob', bob, '198.51.100.9')) },
      ]),
    );
    await storeDetection(db, first, aliceLogin.id, alice, '203.0.113.7', `Authentication policy changed by ${alice.name}`);
    await storeDetection(db, first, granted.id, bob, '198.51.100.9', `${alice.name} added to admins by ${bob.name}`);
    await storeDetection(db, first, 'e-bob-login', bob, '198.51.100.9', `Authentication policy changed by ${bob.name}`);
    const sources = [first, second];
    const before = await snapshot(db, sources);
    const hers = [alice.id, alice.name, alice.email, '203.0.113.7', '203.0.113.8', '203.0.113.9'];
    const his = [bob.id, bob.name, bob.email, '198.51.100.9'];

    const expectedCounts = {
      alerts: { [first.name]: 2 },
      detections: { [first.name]: 2 },
      quarantined_events: { [first.name]: 1 },
      events: { [first.name]: 2, [second.name]: 1 },
    };
    const eraseAlice = ['erase', '--account-id', alice.id, '--requested-by', 'dpo@example.com', '--reason', 'TICKET-7'];
    const dry = JSON.parse(succeeded(await cli([...eraseAlice, '-o', 'json'])));
    expect(dry).toMatchObject({ dryRun: true, redactedRows: 8, counts: expectedCounts });
    expect(dry.erasureId).toBeUndefined();
    expect(await snapshot(db, sources)).toEqual(before);
    expect(succeeded(await cli(eraseAlice))).toMatch(/^dry run, nothing changed: erasing this person would redact 8 rows$/m);

    const done = JSON.parse(succeeded(await cli([...eraseAlice, '--yes', '-o', 'json'])));
    expect(done).toMatchObject({ dryRun: false, redactedRows: 8, counts: expectedCounts, earlier: [] });
    const after = await snapshot(db, sources);
    expect(mentioning({ ...after, events: after.events.filter((e) => e.event_id !== 'e-namesake') }, hers)).toEqual([]);
    // His own rows are as they were; where he acted on her, his part stays.
    const untouched = (snap: Snapshot) => ({
      events: snap.events.filter((e) => ['e-bob-login', 'e-namesake'].includes(e.event_id)),
      quarantined: snap.quarantined.filter((q) => q.event_id === 'held-bob'),
      detections: snap.detections.filter((d) => d.event_id === 'e-bob-login'),
    });
    expect(untouched(after)).toEqual(untouched(before));
    expect(mentioning({ ...after, events: after.events.filter((e) => e.event_id === granted.id) }, his).length).toBeGreaterThan(0);
    expect(keyFields(after)).toEqual(keyFields(before));

    const pseudonym = done.pseudonyms[0] as string;
    expect(pseudonym).toMatch(/^erased:[0-9a-f]{24}$/);
    const login = after.events.find((e) => e.event_id === aliceLogin.id)!;
    expect(login).toMatchObject({ actor_id: pseudonym, actor_name: '[erased]', actor_email: '[erased]', ip: '[erased]', p_any_emails: [], p_any_usernames: [], p_any_ip_addresses: [] });
    expect(login.location).toEqual({ ip: '[erased]', geo: '[erased]', countryName: '[erased]' });
    expect(login.raw.attributes.actor.links.self).toContain(pseudonym);
    const grant = after.events.find((e) => e.event_id === granted.id)!;
    expect(grant.p_any_emails).toEqual([bob.email]);
    expect(grant.raw.attributes.context[0]).toEqual({ id: pseudonym, type: 'users', attributes: { name: '[erased]', email: '[erased]' } });
    expect(grant.raw.message.content).toBe(`${bob.name} made [erased] an admin`);
    const elsewhere = after.events.find((e) => e.event_id === stored.id)!;
    expect(elsewhere.actor_id).toBe(pseudonym);
    expect(JSON.parse(elsewhere.original as string).attributes.location.geo).toBe('[erased]');
    const aliceAlert = after.alerts.find((a) => a.dedup_key === `rule:${aliceLogin.id}`)!;
    expect(aliceAlert.details).toMatchObject({ actor: { id: pseudonym, name: '[erased]', email: '[erased]' }, ip: '[erased]', country: '[erased]' });
    expect(after.detections.find((d) => d.event_id === aliceLogin.id)).toMatchObject({ actor_id: pseudonym, actor_name: '[erased]', ip: '[erased]' });

    const { rows: records } = await db.query('SELECT * FROM erasures WHERE id = $1', [done.erasureId]);
    expect(records[0]).toMatchObject({ key_kind: 'account_id', requested_by: 'dpo@example.com', reason: 'TICKET-7', sources: null, counts: expectedCounts, redacted_rows: '8', pseudonyms: [pseudonym] });
    expect(records[0].finished_at).not.toBeNull();
    expect(JSON.stringify(records[0]).toLowerCase()).not.toContain(alice.id.toLowerCase());

    const again = JSON.parse(succeeded(await cli([...eraseAlice, '--yes', '-o', 'json'])));
    expect(again).toMatchObject({ dryRun: false, redactedRows: 0, counts: {}, pseudonyms: [pseudonym], earlier: [{ id: done.erasureId, redactedRows: 8 }] });
    expect(again.erasureId).toBeGreaterThan(done.erasureId);
    expect(await snapshot(db, sources)).toEqual(after);
    expect(succeeded(await cli([...eraseAlice, '--yes']))).toMatch(new RegExp(`^nothing left to redact for this person; erased before by erasure ${done.erasureId} `, 'm'));
  });

  it('finds a person by e-mail in any case, limited to one source', async () => {
    const carol = person('Carol');
    const dave = person('Dave');
    const org = { organizationId: randomUUID(), apiKey: 'simkey_unused', apiBaseUrl: 'http://127.0.0.1:9' };
    const [first, second] = [await createTestSource(db, org), await createTestSource(db, org)];
    await storeEvents(db, first, [event('c-login', carol, '203.0.113.20'), event('d-invites', dave, '198.51.100.20', { context: [userEntry(carol)] })]);
    await storeEvents(db, second, [event('c-other-source', carol, '203.0.113.21')]);
    const before = await snapshot(db, [second]);

    const done = JSON.parse(succeeded(await cli(['erase', '--email', carol.email.toUpperCase(), '--source', first.name, '--requested-by', 'dpo', '--yes', '-o', 'json'])));
    expect(done).toMatchObject({ redactedRows: 2, counts: { events: { [first.name]: 2 } } });
    const after = await snapshot(db, [first]);
    expect(mentioning(after, [carol.id, carol.name, carol.email, '203.0.113.20'])).toEqual([]);
    expect(after.events.map((e) => e.actor_id).sort()).toEqual([dave.id, done.pseudonyms[0]].sort());
    expect(await snapshot(db, [second])).toEqual(before);
    const { rows } = await db.query('SELECT key_kind, sources FROM erasures WHERE id = $1', [done.erasureId]);
    expect(rows[0]).toEqual({ key_kind: 'email', sources: [first.name] });
  });

  it('finds an event whose time has microseconds, which a JavaScript date would round away', async () => {
    const erin = person('Erin');
    const org = { organizationId: randomUUID(), apiKey: 'simkey_unused', apiBaseUrl: 'http://127.0.0.1:9' };
    const source = await createTestSource(db, org);
    const precise = event('e-precise', erin, '203.0.113.30') as unknown as { attributes: { time: string } };
    precise.attributes.time = '2026-11-01T10:00:00.123456Z';
    await storeEvents(db, source, [precise as unknown as AuditEvent]);

    const done = JSON.parse(succeeded(await cli(['erase', '--account-id', erin.id, '--requested-by', 'dpo', '--yes', '-o', 'json'])));
    expect(done).toMatchObject({ redactedRows: 1, counts: { events: { [source.name]: 1 } } });
    expect(mentioning(await snapshot(db, [source]), [erin.id, erin.name, erin.email])).toEqual([]);
  });

  it.each([
    [['erase', '--requested-by', 'dpo'], /--account-id ID or --email ADDRESS/],
    [['erase', '--account-id', 'a', '--email', 'a@example.com', '--requested-by', 'dpo'], /one of them/],
    [['erase', '--email', 'not-an-address', '--requested-by', 'dpo'], /--email must be an e-mail address/],
    [['erase', '--account-id', 'has space', '--requested-by', 'dpo'], /--account-id must be an Atlassian account id/],
    [['erase', '--account-id', 'erased:0123', '--requested-by', 'dpo'], /already erased/],
    [['erase', '--account-id', 'someone'], /--requested-by WHO/],
    [['erase', '--account-id', 'someone', '--requested-by', 'x'.repeat(201)], /--requested-by is longer than 200/],
    [['erase', '--account-id', 'someone', '--requested-by', 'dpo', '--source', 'no-such-source'], /no source named "no-such-source"/],
  ])('refuses %j with one line', async (args, message) => {
    expect(refusal(await cli(args))).toMatch(message);
  });
});
