import type { Database } from '../store/database';
import type { ClaimedRange } from '../store/output-positions';
import type { StoredEvent } from './stored-event';

/** The claimed range's events, in seq order, as the formats read them. */
export async function readClaimedEvents(db: Pick<Database, 'query'>, sourceId: string, range: ClaimedRange): Promise<StoredEvent[]> {
  const { rows } = await db.query(
    `SELECT e.source_id, e.p_source_label, s.organization_id, e.seq, e.event_id, e.event_time, e.processed_at, e.action, e.actor_id, e.actor_name,
            e.actor_email, e.ip, e.location, e.p_parse_time, e.p_any_ip_addresses, e.p_any_emails, e.p_any_usernames, e.raw
       FROM events e JOIN sources s ON s.id = e.source_id
      WHERE e.source_id = $1 AND e.seq > $2 AND e.seq <= $3
      ORDER BY e.seq`,
    [sourceId, range.afterSeq, range.throughSeq],
  );
  return rows.map((row) => ({
    sourceId: row.source_id,
    sourceName: row.p_source_label,
    organizationId: row.organization_id,
    seq: Number(row.seq),
    eventId: row.event_id,
    eventTime: (row.event_time as Date).toISOString(),
    processedAt: row.processed_at ? (row.processed_at as Date).toISOString() : null,
    action: row.action,
    actorId: row.actor_id,
    actorName: row.actor_name,
    actorEmail: row.actor_email,
    ip: row.ip,
    location: row.location,
    parsedAt: (row.p_parse_time as Date).toISOString(),
    anyIpAddresses: row.p_any_ip_addresses,
    anyEmails: row.p_any_emails,
    anyUsernames: row.p_any_usernames,
    raw: row.raw,
  }));
}
