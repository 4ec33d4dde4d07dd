import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { AuditEvent } from '../../atlassian/schema';
import type { Database } from '../../store/database';
import type { InsertedEventsHook } from '../../store/events';
import { EventRow, toEventRow } from '../../atlassian/normalize';
import { insertEvents } from '../../store/events';
import type { SourceRecord } from '../../store/sources';
import { DetectionEvent, toDetectionEvent } from '../../detections/event-view';

type JsonObject = Record<string, unknown>;

export const ADMIN = { id: '557058:aaaaaaaa-0000-4000-8000-000000000001', name: 'Ada Admin', email: 'ada@acme.example.com' };
export const USER = { id: '5b10ac8d82e05b22cc7d4ef5', name: 'Grace User', email: 'grace@acme.example.com' };

export const userEntry = (person: typeof USER): JsonObject => ({ id: person.id, type: 'users', attributes: { name: person.name, email: person.email } });

export interface SampleEvent {
  action: string;
  time?: Date;
  actor?: JsonObject;
  context?: JsonObject[];
  container?: JsonObject[];
  location?: JsonObject | null;
  id?: string;
}

/** An event in the API's shape, run through the same schema-typed path as fetched events. */
export function auditEvent(sample: SampleEvent): AuditEvent {
  const time = (sample.time ?? new Date()).toISOString();
  const attributes: JsonObject = {
    time,
    processedAt: time,
    action: sample.action,
    actor: sample.actor ?? ADMIN,
    context: sample.context ?? [],
  };
  if (sample.container) attributes.container = sample.container;
  if (sample.location !== null) attributes.location = sample.location ?? { ip: '203.0.113.10', countryName: 'Australia', geo: 'Sydney, New South Wales, Australia' };
  return { id: sample.id ?? randomUUID(), type: 'events', attributes } as AuditEvent;
}

export const row = (sample: SampleEvent): EventRow => toEventRow(auditEvent(sample));

export const view = (sample: SampleEvent): DetectionEvent => toDetectionEvent(row(sample));

/**
 * What ingestPage does with a page, minus the API: insert the rows and hand the new ones to the hook, in one
 * transaction. Returns the ids that were new.
 */
export async function ingestRows(db: Database, source: SourceRecord, rows: EventRow[], hook: InsertedEventsHook): Promise<string[]> {
  return db.withTransaction(async (tx: PoolClient) => {
    const inserted = new Set((await insertEvents(tx, source.id, source.name, rows)).insertedIds);
    if (inserted.size > 0) await hook.run(tx, source, rows.filter((r) => inserted.has(r.eventId)), await hookContext(tx, hook, source));
    return [...inserted];
  });
}

/** What the page's checkpoint update hands the hook, read the same way. */
export async function hookContext(tx: PoolClient, hook: InsertedEventsHook, source: SourceRecord): Promise<unknown> {
  const { rows } = await tx.query<{ context: unknown }>(`SELECT ${hook.contextSql} AS context`, [source.id]);
  return rows[0].context;
}

export const minutes = (n: number) => n * 60_000;
export const days = (n: number) => n * 24 * 3600_000;
