import type { EventField } from './event-fields';
import type { Sql } from './store';

// The state of threshold and new-value rules is the events table itself: the page being evaluated is already
// inserted (same transaction), so counts include it, and nothing needs rebuilding after a restart or a rescan.

export interface WindowProbe {
  eventId: string;
  value: string;
  at: Date;
}

/** Event ids returned with a count, at most: enough to investigate, small enough for an alert. */
export const MAX_EVIDENCE_EVENTS = 50;

export interface WindowCount {
  eventId: string;
  count: number;
  /** The oldest events of the window, the probe's own included. */
  eventIds: string[];
}

/**
 * For each probe, the stored events of the source with the same field value and one of the actions, whose time lies in
 * (at − window, at]; only probes whose count reaches `threshold` are returned. One statement for the whole page.
 */
export async function countInWindows(
  sql: Sql,
  query: { sourceId: string; field: EventField; likePatterns: string[]; windowSeconds: number; threshold: number; probes: WindowProbe[] },
): Promise<WindowCount[]> {
  // LATERAL keeps it one index range scan per probe over its own window, however large the source's history grows.
  const { rows } = await sql.query<{ event_id: string; n: number; event_ids: string[] }>(
    `SELECT p.event_id, w.n, w.event_ids
       FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS p(event_id, value, at)
       CROSS JOIN LATERAL (
             SELECT count(*)::int AS n, (array_agg(e.event_id ORDER BY e.event_time, e.event_id))[1:${MAX_EVIDENCE_EVENTS}] AS event_ids
               FROM events e
              WHERE e.source_id = $1 AND e.event_time > p.at - make_interval(secs => $6) AND e.event_time <= p.at
                AND ${query.field.sql} = p.value AND e.action LIKE ANY($5::text[])) AS w
      WHERE w.n >= $7`,
    [
      query.sourceId,
      query.probes.map((p) => p.eventId),
      query.probes.map((p) => p.value),
      query.probes.map((p) => p.at),
      query.likePatterns,
      query.windowSeconds,
      query.threshold,
    ],
  );
  return rows.map((row) => ({ eventId: row.event_id, count: row.n, eventIds: row.event_ids }));
}

/**
 * Of the probes' values, those that no stored event of the source carried in [at − lookback, at), for probes whose
 * source history (from the checkpoint's backfill start) reaches back at least `learningDays` before `at`. Each value
 * is probed once, at its earliest time: later events of the page with that value see the earlier one.
 */
export async function unseenValues(
  sql: Sql,
  query: { sourceId: string; field: EventField; lookbackDays: number; learningDays: number; probes: WindowProbe[] },
): Promise<WindowProbe[]> {
  const earliest = new Map<string, WindowProbe>();
  for (const probe of query.probes) {
    const known = earliest.get(probe.value);
    if (!known || probe.at < known.at) earliest.set(probe.value, probe);
  }
  const probes = [...earliest.values()];
  // Newest first with LIMIT 1: an index scan that stops at the first event with the value, usually a few rows back,
  // where a bitmap scan would read the whole lookback of the source for every probe.
  const { rows } = await sql.query<{ event_id: string }>(
    `SELECT p.event_id
       FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS p(event_id, value, at)
       JOIN checkpoints c ON c.source_id = $1 AND c.backfill_from <= p.at - make_interval(days => $6)
       LEFT JOIN LATERAL (
             SELECT true AS seen FROM events e
              WHERE e.source_id = $1 AND e.event_time >= p.at - make_interval(days => $5) AND e.event_time < p.at
                AND ${query.field.sql} = p.value
              ORDER BY e.event_time DESC
              LIMIT 1) AS s ON true
      WHERE s.seen IS NULL`,
    [query.sourceId, probes.map((p) => p.eventId), probes.map((p) => p.value), probes.map((p) => p.at), query.lookbackDays, query.learningDays],
  );
  const unseen = new Set(rows.map((row) => row.event_id));
  return probes.filter((probe) => unseen.has(probe.eventId));
}
