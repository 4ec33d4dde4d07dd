import type { Database } from '../database';
import { ERASED, PSEUDONYM_PREFIX } from './erasure-keys';
import { eventTables, type EventTable } from './erase-events';
import { lockUnless, runPass, type Queryable } from './pass';
import { isPerson, type Person } from './person';
import { identifiesPerson, isObject, mapStrings, redactEvent, redactText, type Redaction } from './redact';
import type { ErasureScope, Tally } from './tally';

// Alerts and detections: what the product concluded from the person's events. Both are small next to events, and
// are redacted in one transaction each. Alerts go first and detections second, events last (erase-person.ts): each
// pass recognises its rows through the tables after it, which are still as they were if an earlier run was cut short.

interface DetectionRow {
  id: string;
  source_id: string;
  event_id: string;
  actor_id: string;
  actor_name: string | null;
  actor_email: string | null;
  ip: string | null;
  title: string;
  dedup_key: string;
  alert_id: string | null;
}

interface AlertRow {
  id: string;
  source_id: string;
  title: string;
  message: string;
  details: unknown;
  dedup_key: string;
  group_key: string | null;
  acknowledgement: string | null;
  resolution: string | null;
}

/** ILIKE patterns of everything the person is known by: rows worth a look, confirmed in code. */
export function likePatterns(person: Person): string[] {
  return [...person.accountIds, ...person.emails, ...person.names].map((term) => `%${term.replace(/[\\%_]/g, '\\$&')}%`);
}

const actorIsPerson = (person: Person, row: { actor_id: string; actor_email: string | null }) =>
  person.accountIds.has(row.actor_id) || (row.actor_email !== null && person.emails.has(row.actor_email.trim().toLowerCase()));

/** A detection concerns the person when they acted, its text names them, or its triggering event is about them. */
async function detectionConcernsPerson(q: Queryable, tables: readonly EventTable[], redaction: Redaction, row: DetectionRow): Promise<boolean> {
  const { person } = redaction;
  if (actorIsPerson(person, row) || identifiesPerson(person, `${row.title}\n${row.dedup_key}`)) return true;
  for (const table of tables) {
    const { rows } = await q.query<{ raw: unknown }>(`SELECT raw FROM ${table} WHERE source_id = $1 AND event_id = $2`, [row.source_id, row.event_id]);
    if (rows.some((event) => redactEvent(redaction, event.raw).appears)) return true;
  }
  return false;
}

/** The person's detections; with alert ids, also every detection those alerts grouped, should it be about them. */
async function candidateDetections(db: Database, q: Queryable, redaction: Redaction, scope: ErasureScope, ofAlerts: readonly string[] = []): Promise<DetectionRow[]> {
  const { person } = redaction;
  const { rows } = await q.query<DetectionRow>(
    `SELECT id, source_id, event_id, actor_id, actor_name, actor_email, ip, title, dedup_key, alert_id FROM detections
      WHERE ($1::uuid[] IS NULL OR source_id = ANY($1))
        AND (actor_id = ANY($2::text[]) OR lower(actor_email) = ANY($3::text[]) OR title ILIKE ANY($4::text[]) OR dedup_key ILIKE ANY($4::text[])
             OR alert_id = ANY($5::bigint[]))
      ORDER BY id`,
    [scope.sourceIds, [...person.accountIds], [...person.emails], likePatterns(person), ofAlerts],
  );
  const concerning: DetectionRow[] = [];
  const tables = await eventTables(db);
  for (const row of rows) if (await detectionConcernsPerson(q, tables, redaction, row)) concerning.push(row);
  return concerning;
}

export async function eraseAlerts(db: Database, redaction: Redaction, scope: ErasureScope, tally: Tally, dryRun: boolean): Promise<void> {
  const { person } = redaction;
  await runPass(db, dryRun, async (q) => {
    const { rows } = await q.query<AlertRow>(
      `SELECT id, source_id, title, message, details, dedup_key, group_key, acknowledgement, resolution FROM alerts
        WHERE ($1::uuid[] IS NULL OR source_id = ANY($1))
          AND (title ILIKE ANY($2::text[]) OR message ILIKE ANY($2::text[]) OR details::text ILIKE ANY($2::text[])
               OR group_key ILIKE ANY($2::text[]) OR acknowledgement ILIKE ANY($2::text[]) OR resolution ILIKE ANY($2::text[])
               OR id IN (SELECT alert_id FROM detections d WHERE ($1::uuid[] IS NULL OR d.source_id = ANY($1)) AND d.actor_id = ANY($3::text[])))
        ORDER BY id
        ${lockUnless(dryRun)}`,
      [scope.sourceIds, likePatterns(person), [...person.accountIds]],
    );
    const raisedOnPerson = new Set((await candidateDetections(db, q, redaction, scope, rows.map((row) => row.id))).map((d) => d.alert_id));
    for (const row of rows) {
      const redacted = redactAlert(redaction, row, raisedOnPerson.has(row.id));
      if (redacted === null) continue;
      tally.add('alerts', row.source_id, 1);
      if (dryRun) continue;
      await q.query(
        `UPDATE alerts SET title = $2, message = $3, details = $4, dedup_key = $5, group_key = $6, acknowledgement = $7, resolution = $8 WHERE id = $1`,
        [row.id, redacted.title, redacted.message, JSON.stringify(redacted.details), redacted.dedup_key, redacted.group_key, redacted.acknowledgement, redacted.resolution],
      );
    }
  });
}

/** An alert with the person taken out, or null when it does not concern them. */
function redactAlert(redaction: Redaction, row: AlertRow, raisedOnPerson: boolean): AlertRow | null {
  const { person, pseudonym } = redaction;
  const details = isObject(row.details) ? structuredClone(row.details) : {};
  const actedAs = isPerson(details.actor, person);
  const texts = [row.title, row.message, JSON.stringify(row.details), row.group_key ?? '', row.acknowledgement ?? '', row.resolution ?? ''].join('\n');
  if (!actedAs && !raisedOnPerson && !identifiesPerson(person, texts)) return null;
  // Where the person acted, the IP address and country in the alert were theirs.
  const theirs: string[] = [];
  if (actedAs && isObject(details.actor)) {
    for (const key of ['ip', 'country']) {
      const value = details[key];
      if (typeof value === 'string') {
        theirs.push(value);
        details[key] = ERASED;
      }
    }
    const actor = details.actor;
    if (typeof actor.id === 'string' && !actor.id.startsWith(PSEUDONYM_PREFIX)) actor.id = pseudonym(actor.id);
    for (const key of ['name', 'email']) if (typeof actor[key] === 'string') actor[key] = ERASED;
  }
  const inText = redactText(redaction, theirs);
  const maybe = (text: string | null) => (text === null ? null : inText(text));
  const redacted: AlertRow = {
    ...row,
    title: inText(row.title),
    message: inText(row.message),
    details: mapStrings(details, inText),
    dedup_key: inText(row.dedup_key),
    group_key: maybe(row.group_key),
    acknowledgement: maybe(row.acknowledgement),
    resolution: maybe(row.resolution),
  };
  return JSON.stringify(redacted) === JSON.stringify(row) ? null : redacted;
}

export async function eraseDetections(db: Database, redaction: Redaction, scope: ErasureScope, tally: Tally, dryRun: boolean): Promise<void> {
  await runPass(db, dryRun, async (q) => {
    for (const row of await candidateDetections(db, q, redaction, scope)) {
      const redacted = redactDetection(redaction, row);
      if (redacted === null) continue;
      tally.add('detections', row.source_id, 1);
      if (dryRun) continue;
      await q.query(
        'UPDATE detections SET actor_id = $2, actor_name = $3, actor_email = $4, ip = $5, title = $6, dedup_key = $7 WHERE id = $1',
        [row.id, redacted.actor_id, redacted.actor_name, redacted.actor_email, redacted.ip, redacted.title, redacted.dedup_key],
      );
    }
  });
}

function redactDetection(redaction: Redaction, row: DetectionRow): DetectionRow | null {
  const acted = actorIsPerson(redaction.person, row);
  const inText = redactText(redaction, acted && row.ip !== null ? [row.ip] : []);
  const erased = (value: string | null) => (value === null ? null : ERASED);
  const redacted: DetectionRow = {
    ...row,
    title: inText(row.title),
    dedup_key: inText(row.dedup_key),
    ...(acted && {
      actor_id: row.actor_id.startsWith(PSEUDONYM_PREFIX) ? row.actor_id : redaction.pseudonym(row.actor_id),
      actor_name: erased(row.actor_name),
      actor_email: erased(row.actor_email),
      ip: erased(row.ip),
    }),
  };
  return JSON.stringify(redacted) === JSON.stringify(row) ? null : redacted;
}
