import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { toEventRow } from '../../../atlassian/normalize';
import { auditEventSchema } from '../../../atlassian/schema';
import { formatEvent } from '../../../outputs/formats';
import type { StoredEvent } from '../../../outputs/stored-event';
import { caseNames, FORMATS, goldenPath, goldenText, readInput } from './golden-cases';

// Pure: no Temporal, no database. A failure here means a record changed; if the change is meant, rewrite the golden
// files with update-golden.ts and review the diff.

const cases = caseNames();

describe.each(cases)('golden case %s', (name) => {
  test.each(FORMATS)('%s record equals the golden file', (format) => {
    expect(goldenText(readInput(name), format)).toBe(readFileSync(goldenPath(name, format), 'utf8'));
  });

  test('its input is what ingestion stores for its raw event', () => {
    const input = readInput(name);
    const row = toEventRow(auditEventSchema.parse(input.raw));
    const iso = (time: string | null) => (time === null ? null : new Date(time).toISOString());
    expect({
      eventId: input.eventId, eventTime: input.eventTime, processedAt: input.processedAt, action: input.action, actorId: input.actorId,
      actorName: input.actorName, actorEmail: input.actorEmail, ip: input.ip, location: input.location,
      anyIpAddresses: input.anyIpAddresses, anyEmails: input.anyEmails, anyUsernames: input.anyUsernames,
    }).toEqual({
      eventId: row.eventId, eventTime: iso(row.eventTime), processedAt: iso(row.processedAt), action: row.action, actorId: row.actorId,
      actorName: row.actorName, actorEmail: row.actorEmail, ip: row.ip, location: row.location === null ? null : JSON.parse(row.location),
      anyIpAddresses: row.anyIpAddresses, anyEmails: row.anyEmails, anyUsernames: row.anyUsernames,
    });
  });
});

test('the golden set covers the actions and actors the issue names', () => {
  expect(cases.length).toBeGreaterThanOrEqual(12);
  const inputs = cases.map(readInput);
  const actions = new Set(inputs.map((e) => e.action));
  for (const action of ['user_login_failed', 'api_token_created', 'api_token_revoked', 'authentication_policy_update', 'group_member_added',
    'marketplace_app_installed', 'user_invitation_sent', 'added_org_admin']) {
    expect(actions).toContain(action);
  }
  const ecs = (e: StoredEvent) => JSON.parse(formatEvent('ecs', e)) as { event: { category: string[] }; user?: { id?: string } };
  // A system actor, an app actor, an event without a location, and an action no rule knows.
  expect(inputs.some((e) => e.actorEmail === 'Atlassian app' && ecs(e).user?.id === undefined)).toBe(true);
  expect(inputs.some((e) => (e.raw.attributes as { actor: { app?: unknown } }).actor.app !== undefined && ecs(e).user?.id === undefined)).toBe(true);
  expect(inputs.some((e) => e.location === null)).toBe(true);
  expect(inputs.some((e) => (JSON.parse(formatEvent('ocsf', e)) as { class_uid: number; status_id: number }).status_id === 0)).toBe(true);
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

const idOf: Record<string, (record: Record<string, any>) => unknown> = {
  raw: (record) => record.id,
  ecs: (record) => record.event.id,
  ocsf: (record) => record.metadata.uid,
};

test('formatting changes no event, gives the same record twice, and every record names its event', () => {
  for (const name of cases) {
    const event = deepFreeze(readInput(name));
    for (const format of FORMATS) {
      const first = formatEvent(format, event);
      expect(formatEvent(format, event)).toBe(first);
      expect(idOf[format](JSON.parse(first))).toBe(event.eventId);
    }
  }
});

test('no raw shape makes a format throw or lose the event id', () => {
  const base = readInput('user-login');
  const anything = fc.anything({ maxDepth: 3, maxKeys: 4 });
  const rawShape = fc.record({
    id: fc.constant(base.eventId),
    attributes: fc.oneof(anything, fc.record({ time: anything, actor: anything, context: anything, container: anything, location: anything })),
    message: anything,
  });
  fc.assert(
    fc.property(rawShape, fc.string({ maxLength: 40 }), fc.oneof(fc.constant(null), fc.string({ maxLength: 20 })), (shape, action, ip) => {
      // As the store holds it: JSON text, and that text parsed.
      const rawText = JSON.stringify(shape);
      const event: StoredEvent = { ...base, action, ip, location: null, actorEmail: ip, rawText, raw: JSON.parse(rawText) as Record<string, unknown> };
      for (const format of FORMATS) {
        expect(idOf[format](JSON.parse(formatEvent(format, event)))).toBe(base.eventId);
      }
    }),
    { numRuns: 300 },
  );
});
