import type { Database } from '../store/database';
import type { Queryable } from './alert-store';

export type DestinationFormat = 'webhook' | 'slack';

export interface Destination {
  sourceId: string | null;
  format: DestinationFormat;
  url: string;
}

export class WebhookUrlError extends Error {
  override name = 'WebhookUrlError';
}

/** Only http(s), with a host: anything else is refused where it is configured, not discovered at the first alert. */
export function parseWebhookUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new WebhookUrlError(`webhook URL "${redactUrl(text)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookUrlError(`webhook URL must be http(s), got ${url.protocol}`);
  if (!url.hostname) throw new WebhookUrlError('webhook URL has no host');
  return url.toString();
}

/**
 * A webhook URL is a credential (Slack's carry their token in the path): shown as scheme, host and port only.
 * Text that is no URL at all is cut short instead.
 */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return text.length > 12 ? `${text.slice(0, 12)}…` : text;
  }
}

/** Sets or, with url null, removes a source's own destination of one format. */
export async function setSourceDestination(q: Queryable, sourceId: string, format: DestinationFormat, url: string | null): Promise<void> {
  await q.query('DELETE FROM alert_destinations WHERE source_id = $1 AND format = $2', [sourceId, format]);
  if (url !== null) await q.query('INSERT INTO alert_destinations (source_id, format, url) VALUES ($1, $2, $3)', [sourceId, format, parseWebhookUrl(url)]);
}

/**
 * Makes the global destinations what this worker's environment says. Every worker of a deployment shares one
 * environment, so whichever starts last writes the same thing; an unset variable removes its destination.
 */
export async function publishGlobalDestinations(db: Database, urls: { webhook?: string; slack?: string }): Promise<void> {
  await db.withTransaction(async (tx) => {
    await tx.query('DELETE FROM alert_destinations WHERE source_id IS NULL');
    for (const format of ['webhook', 'slack'] as const) {
      const url = urls[format];
      if (url) await tx.query('INSERT INTO alert_destinations (source_id, format, url) VALUES (NULL, $1, $2)', [format, parseWebhookUrl(url)]);
    }
  });
}

/** The destinations a source's notices go to: its own and the global ones. */
export async function destinationsOf(q: Queryable, sourceId: string): Promise<Destination[]> {
  const { rows } = await q.query<{ source_id: string | null; format: DestinationFormat; url: string }>(
    'SELECT source_id, format, url FROM alert_destinations WHERE source_id = $1 OR source_id IS NULL ORDER BY source_id NULLS FIRST, format',
    [sourceId],
  );
  return rows.map((row) => ({ sourceId: row.source_id, format: row.format, url: row.url }));
}
