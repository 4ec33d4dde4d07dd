import type { Database } from '../store/database';
import { openAlert, resolveAlert } from '../alerts/alert-store';
import { wakeAlertDispatcher } from '../alerts/wake';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Ahead of an expiry, from the earliest to the most urgent; each opens its own alert. */
const THRESHOLDS = [
  { days: 7, severity: 'medium' as const },
  { days: 1, severity: 'high' as const },
];

/**
 * Opens key-expiry alerts 7 days and 1 day before a source's known key expiry, and resolves them once the key was
 * replaced (the stored expiry changed or was cleared). The dedup key names the expiry and the threshold, so a new key
 * with a new date alerts afresh.
 */
export function createKeyExpiryActivities(db: Database) {
  return {
    async checkKeyExpiries(): Promise<{ opened: number; resolved: number }> {
      const { rows: sources } = await db.query<{ id: string; name: string; expires_at: Date | null; now: Date }>(
        `SELECT id, name, api_key_expires_at AS expires_at, now() AS now FROM sources WHERE status <> 'removed'`,
      );
      const { rows: open } = await db.query<{ source_id: string; dedup_key: string }>(`SELECT source_id, dedup_key FROM alerts WHERE kind = 'key_expiry' AND status = 'open'`);
      let opened = 0;
      let resolved = 0;
      for (const source of sources) {
        const prefix = source.expires_at ? `${source.expires_at.toISOString()}:` : undefined;
        for (const alert of open.filter((a) => a.source_id === source.id && (!prefix || !a.dedup_key.startsWith(prefix)))) {
          const done = await resolveAlert(db.pool, { sourceId: source.id, kind: 'key_expiry', dedupKey: alert.dedup_key, message: 'The API key was replaced.' });
          if (done) resolved++;
        }
        if (!source.expires_at) continue;
        const left = source.expires_at.getTime() - source.now.getTime();
        // Only the most urgent threshold crossed: a key added with hours to live gets one alert, not two.
        const crossed = THRESHOLDS.filter((t) => left <= t.days * DAY_MS).slice(-1);
        for (const threshold of crossed) {
          const result = await openAlert(db.pool, {
            sourceId: source.id,
            kind: 'key_expiry',
            dedupKey: `${prefix}${threshold.days}d`,
            severity: threshold.severity,
            title: `${source.name}: the API key expires ${left <= 0 ? 'now' : `within ${threshold.days === 1 ? 'a day' : `${threshold.days} days`}`}`,
            message:
              `The API key of source ${source.name} expires at ${source.expires_at.toISOString()}. After that the API rejects it and polling stops. ` +
              `Create a new organization API key under Atlassian Administration > Settings > API keys, then run ` +
              `\`atlassian-audit rotate-key ${source.name} --key-expires <YYYY-MM-DD>\`.`,
            details: { sourceName: source.name, expiresAt: source.expires_at.toISOString(), thresholdDays: threshold.days },
          });
          if (result.opened) opened++;
        }
      }
      if (opened + resolved > 0) await wakeAlertDispatcher();
      return { opened, resolved };
    },
  };
}
