import { AUTH_REJECTED, BAD_REQUEST, CONTENT_STALLED, ORG_NOT_FOUND } from '../contract/failure-types';
import { DEFAULT_SILENCE_WINDOW_SECONDS } from '../contract/settings';
import type { SourceAlertingState } from '../contract/source-workflow';
import type { Database } from '../store/database';
import { openAlert, resolveAlert, type Queryable } from '../alerts/alert-store';
import { wakeAlertDispatcher } from '../alerts/wake';

/**
 * A title and the next step per kind of refusal. A rejected key's failure message already names its likely cause
 * (expired, revoked, missing scope, no Guard); the others need theirs spelled out here.
 */
const REFUSALS: Record<string, { title: string; nextStep: string }> = {
  [AUTH_REJECTED]: {
    title: 'the Atlassian API rejected the API key',
    nextStep: 'Once a working organization API key exists, store it with `atlassian-audit rotate-key {name}`: polling resumes at once.',
  },
  [ORG_NOT_FOUND]: {
    title: 'the Atlassian organization was not found',
    nextStep:
      'Likely cause: the organization ID is wrong, or the key belongs to another organization (check admin.atlassian.com/o/<org id>/overview). ' +
      'After fixing it, resume the source with `atlassian-audit resume {name}`.',
  },
  [BAD_REQUEST]: {
    title: 'the Atlassian API refused the request',
    nextStep: 'Repeating the same request cannot help: check the API base URL of the source, then resume it with `atlassian-audit resume {name}`.',
  },
  [CONTENT_STALLED]: {
    title: 'the Atlassian API keeps answering with a page that cannot be read',
    nextStep:
      'No event was skipped: the source waits at the same page. If the page is larger than the cap, raise ATLASSIAN_MAX_RESPONSE_BYTES; ' +
      'once the API (or a proxy in between) answers properly again, resume the source with `atlassian-audit resume {name}`.',
  },
};

/** The alerts the source workflow itself raises, and the AlertOpen flag it shows. */
export function createSourceHealthActivities(db: Database) {
  return {
    async loadSourceAlerting(sourceId: string): Promise<Omit<SourceAlertingState, 'credentialsAlertMaybeOpen'>> {
      const { rows } = await db.query('SELECT silence_alert_enabled, silence_window_seconds FROM sources WHERE id = $1', [sourceId]);
      return {
        silenceEnabled: rows[0]?.silence_alert_enabled ?? false,
        silenceWindowSeconds: rows[0]?.silence_window_seconds ?? DEFAULT_SILENCE_WINDOW_SECONDS,
        alertOpen: (await countOpen(db.pool, sourceId)) > 0,
      };
    },

    async countOpenAlerts(sourceId: string): Promise<number> {
      return countOpen(db.pool, sourceId);
    },

    /** The reason is the activity failure's message: status, Atlassian's error text and likely cause, never the key. */
    async openCredentialsAlert({ sourceId, failureType, reason }: { sourceId: string; failureType: string; reason: string }): Promise<{ openAlerts: number }> {
      const { opened, openAlerts } = await db.withTransaction(async (tx) => {
        const { rows } = await tx.query<{ name: string }>('SELECT name FROM sources WHERE id = $1', [sourceId]);
        const name = rows[0]?.name ?? sourceId;
        const refusal = REFUSALS[failureType] ?? REFUSALS[AUTH_REJECTED];
        const result = await openAlert(tx, {
          sourceId,
          kind: 'credentials',
          severity: 'high',
          title: `${name}: polling stopped, ${refusal.title}`,
          message: `Polling of source ${name} has stopped. ${withStop(reason)} ${refusal.nextStep.replace(/\{name\}/g, name)}`,
          details: { sourceName: name, failureType },
        });
        return { opened: result.opened, openAlerts: await countOpen(tx, sourceId) };
      });
      if (opened) await wakeAlertDispatcher();
      return { openAlerts };
    },

    async resolveCredentialsAlert({ sourceId, message }: { sourceId: string; message?: string }): Promise<{ openAlerts: number }> {
      const { resolved, openAlerts } = await db.withTransaction(async (tx) => {
        const done = await resolveAlert(tx, { sourceId, kind: 'credentials', message: message ?? 'Polling works again: the API accepted the source.' });
        return { resolved: done !== undefined, openAlerts: await countOpen(tx, sourceId) };
      });
      if (resolved) await wakeAlertDispatcher();
      return { openAlerts };
    },
  };
}

async function countOpen(q: Queryable, sourceId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE source_id = $1 AND status = 'open'`, [sourceId]);
  return rows[0].n;
}

function withStop(sentence: string): string {
  const trimmed = sentence.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
