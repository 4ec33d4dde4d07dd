import type { Database } from '../store/database';
import { openAlert, resolveAlert, type Queryable } from '../alerts/alert-store';
import { formatDuration } from '../contract/durations';
import { wakeAlertDispatcher } from '../alerts/wake';

export interface SilenceBaseline {
  /** Newest persisted-event time, or the source's creation when it never persisted one (ISO). */
  baselineAt: string;
  alertOpen: boolean;
  /** An open silence alert predates the newest persisted event: it should resolve at once. */
  eventsSinceAlert: boolean;
}

export type SilenceVerdict =
  | { kind: 'not-silent'; deadline: string }
  | { kind: 'paused'; recheckAt: string }
  | { kind: 'alerting'; alertId: number; opened: boolean }
  | { kind: 'removed' };

interface SourceSilence {
  name: string;
  status: string;
  baselineAt: Date;
  lastEventPersistedAt: Date | null;
  lastPolledAt: Date | null;
  statusReason: string | null;
  now: Date;
}

/**
 * The watchdog's decisions are made here, against PostgreSQL: the deadline is always the newest persisted event (or
 * the source's creation) plus the window, so any watchdog, restarted or continued, computes the same one, and a
 * silence is confirmed by the database before an alert opens.
 */
export function createSilenceActivities(db: Database) {
  return {
    async loadSilenceBaseline(sourceId: string): Promise<SilenceBaseline> {
      const source = await readSource(db.pool, sourceId, false);
      const { rows } = await db.query<{ opened_at: Date }>(`SELECT opened_at FROM alerts WHERE source_id = $1 AND kind = 'silence' AND dedup_key = '' AND status = 'open'`, [
        sourceId,
      ]);
      const openedAt = rows[0]?.opened_at;
      return {
        baselineAt: (source?.baselineAt ?? new Date()).toISOString(),
        alertOpen: openedAt !== undefined,
        eventsSinceAlert: openedAt !== undefined && source?.lastEventPersistedAt != null && source.lastEventPersistedAt > openedAt,
      };
    },

    async evaluateSilence({ sourceId, windowSeconds }: { sourceId: string; windowSeconds: number }): Promise<SilenceVerdict> {
      const verdict = await db.withTransaction(async (tx): Promise<SilenceVerdict> => {
        // Locking the checkpoint waits for a page being committed right now: its events count against this silence.
        const source = await readSource(tx, sourceId, true);
        if (!source || source.status === 'removed') {
          await resolveAlert(tx, { sourceId, kind: 'silence', message: 'The source was removed.' });
          return { kind: 'removed' };
        }
        const deadline = new Date(source.baselineAt.getTime() + windowSeconds * 1000);
        // A paused source is quiet on purpose; it is looked at again one window later.
        if (source.status === 'paused') return { kind: 'paused', recheckAt: new Date(source.now.getTime() + windowSeconds * 1000).toISOString() };
        if (source.now < deadline) return { kind: 'not-silent', deadline: deadline.toISOString() };
        const { alertId, opened } = await openAlert(tx, silenceAlert(sourceId, source, windowSeconds));
        return { kind: 'alerting', alertId, opened };
      });
      if (verdict.kind === 'alerting' && verdict.opened) await wakeAlertDispatcher();
      return verdict;
    },

    /**
     * Resolves the open silence alert if events were persisted after it opened. `eventsAt` is when the source
     * workflow saw them (after their commit); the checkpoint's time covers a signal that never came.
     */
    async resolveSilence({ sourceId, eventsAt, reason }: { sourceId: string; eventsAt?: string; reason?: string }): Promise<{ resolved: boolean; stillOpen: boolean }> {
      const outcome = await db.withTransaction(async (tx) => {
        const { rows } = await tx.query<{ opened_at: Date; last: Date | null }>(
          `SELECT a.opened_at, c.last_event_persisted_at AS last FROM alerts a LEFT JOIN checkpoints c ON c.source_id = a.source_id
           WHERE a.source_id = $1 AND a.kind = 'silence' AND a.dedup_key = '' AND a.status = 'open' FOR UPDATE OF a`,
          [sourceId],
        );
        // None open: an operator resolved it once events flowed again.
        if (rows.length === 0) return { resolved: false, stillOpen: false };
        const { opened_at: openedAt, last } = rows[0];
        const seen = [eventsAt ? new Date(eventsAt) : null, last].filter((t): t is Date => t !== null && t > openedAt);
        if (reason === undefined && seen.length === 0) return { resolved: false, stillOpen: true };
        const message =
          reason ?? `Events flow again: new events were stored at ${seen[0].toISOString()}, ${formatDuration((seen[0].getTime() - openedAt.getTime()) / 1000)} after the alert opened.`;
        const resolved = (await resolveAlert(tx, { sourceId, kind: 'silence', message })) !== undefined;
        return { resolved, stillOpen: false };
      });
      if (outcome.resolved) await wakeAlertDispatcher();
      return outcome;
    },
  };
}

async function readSource(q: Queryable, sourceId: string, lock: boolean): Promise<SourceSilence | undefined> {
  const { rows } = await q.query(
    `SELECT s.name, s.status, s.status_reason, COALESCE(c.last_event_persisted_at, s.created_at) AS baseline_at,
            c.last_event_persisted_at, c.last_polled_at, now() AS now
     FROM sources s JOIN checkpoints c ON c.source_id = s.id WHERE s.id = $1 ${lock ? 'FOR SHARE OF c' : ''}`,
    [sourceId],
  );
  if (rows.length === 0) return undefined;
  const row = rows[0];
  return {
    name: row.name,
    status: row.status,
    statusReason: row.status_reason,
    baselineAt: row.baseline_at,
    lastEventPersistedAt: row.last_event_persisted_at,
    lastPolledAt: row.last_polled_at,
    now: row.now,
  };
}

function silenceAlert(sourceId: string, source: SourceSilence, windowSeconds: number) {
  const window = formatDuration(windowSeconds);
  const since = source.lastEventPersistedAt
    ? `No new audit event has been stored since ${source.lastEventPersistedAt.toISOString()}`
    : `No audit event has been stored since the source was added (${source.baselineAt.toISOString()})`;
  const lastPoll = source.lastPolledAt ? `the last poll was at ${source.lastPolledAt.toISOString()}` : 'it has not polled yet';
  const state =
    source.status === 'failed'
      ? `The source is stopped: ${source.statusReason ?? 'the API rejected it'}.`
      : `The source is ${source.status} and ${lastPoll}: either the organization has been quiet, or polling is not reaching it (is a worker running?).`;
  return {
    sourceId,
    kind: 'silence' as const,
    severity: 'high' as const,
    title: `${source.name}: no new audit events for ${window}`,
    message: `${since}, longer than the silence window of ${window}. ${state}`,
    details: {
      sourceName: source.name,
      windowSeconds,
      lastEventPersistedAt: source.lastEventPersistedAt?.toISOString() ?? null,
      lastPolledAt: source.lastPolledAt?.toISOString() ?? null,
      sourceStatus: source.status,
    },
  };
}
