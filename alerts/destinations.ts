import { randomBytes } from 'node:crypto';
import { webhookSecretContext, type CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import type { AlertKind, Queryable, Severity } from './alert-store';

export type DestinationFormat = 'webhook' | 'slack';

export interface Destination {
  sourceId: string | null;
  format: DestinationFormat;
  url: string;
  /** Null: every kind. */
  kinds: AlertKind[] | null;
  minSeverity: Severity;
  signed: boolean;
}

/** What a destination hears and how its notices are signed; the defaults hear everything, unsigned. */
export interface Routing {
  kinds?: readonly AlertKind[] | null;
  minSeverity?: Severity;
  /** A Standard Webhooks secret sealed by sealSigningSecret for this destination's URL; webhooks only. */
  sealedSigningSecret?: Buffer | null;
}

/** A new Standard Webhooks secret: 24 random bytes, base64, with the whsec_ prefix receivers' libraries expect. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Seals a signing secret for the URL it signs for (normalized as it is stored). */
export function sealSigningSecret(cipher: CredentialCipher, url: string, secret: string): Buffer {
  return cipher.seal(parseSigningSecret(secret), webhookSecretContext(parseWebhookUrl(url)));
}

export function parseSigningSecret(text: string): string {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed.replace(/^whsec_/, ''), 'base64');
  if (!/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || bytes.length < 24 || bytes.length > 64) {
    throw new WebhookUrlError('a signing secret is whsec_ followed by 24 to 64 bytes of base64');
  }
  return trimmed;
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
export async function setSourceDestination(q: Queryable, sourceId: string, format: DestinationFormat, url: string | null, routing: Routing = {}): Promise<void> {
  await q.query('DELETE FROM alert_destinations WHERE source_id = $1 AND format = $2', [sourceId, format]);
  if (url !== null) await insertDestination(q, sourceId, format, parseWebhookUrl(url), routing);
}

async function insertDestination(q: Queryable, sourceId: string | null, format: DestinationFormat, url: string, routing: Routing): Promise<void> {
  if (routing.sealedSigningSecret && format !== 'webhook') throw new WebhookUrlError('only webhook destinations are signed; Slack checks its own URLs');
  await q.query('INSERT INTO alert_destinations (source_id, format, url, kinds, min_severity, signing_secret) VALUES ($1, $2, $3, $4, $5, $6)', [
    sourceId,
    format,
    url,
    routing.kinds ?? null,
    routing.minSeverity ?? 'info',
    routing.sealedSigningSecret ?? null,
  ]);
}

/**
 * Makes the global destinations what this worker's environment says. Every worker of a deployment shares one
 * environment, so whichever starts last writes the same thing; an unset variable removes its destination.
 */
export async function publishGlobalDestinations(db: Database, urls: { webhook?: string; slack?: string }, sealedWebhookSecret?: Buffer): Promise<void> {
  await db.withTransaction(async (tx) => {
    await tx.query('DELETE FROM alert_destinations WHERE source_id IS NULL');
    if (urls.webhook) await insertDestination(tx, null, 'webhook', parseWebhookUrl(urls.webhook), { sealedSigningSecret: sealedWebhookSecret });
    if (urls.slack) await insertDestination(tx, null, 'slack', parseWebhookUrl(urls.slack), {});
  });
}

/** The destinations a source's notices go to: its own and the global ones. */
export async function destinationsOf(q: Queryable, sourceId: string): Promise<Destination[]> {
  const { rows } = await q.query<{ source_id: string | null; format: DestinationFormat; url: string; kinds: AlertKind[] | null; min_severity: Severity; signed: boolean }>(
    `SELECT source_id, format, url, kinds, min_severity, signing_secret IS NOT NULL AS signed
       FROM alert_destinations WHERE source_id = $1 OR source_id IS NULL ORDER BY source_id NULLS FIRST, format`,
    [sourceId],
  );
  return rows.map((row) => ({ sourceId: row.source_id, format: row.format, url: row.url, kinds: row.kinds, minSeverity: row.min_severity, signed: row.signed }));
}

/** A source's own destination as stored, with its sealed signing secret. */
export interface StoredDestination extends Omit<Destination, 'signed' | 'sourceId'> {
  sourceId: string;
  sealedSigningSecret: Buffer | null;
}

/** Every source's own destinations, in one read (`apply` compares them with a file). */
export async function listSourceDestinations(q: Queryable): Promise<StoredDestination[]> {
  const { rows } = await q.query<{ source_id: string; format: DestinationFormat; url: string; kinds: AlertKind[] | null; min_severity: Severity; signing_secret: Buffer | null }>(
    'SELECT source_id, format, url, kinds, min_severity, signing_secret FROM alert_destinations WHERE source_id IS NOT NULL ORDER BY source_id, format',
  );
  return rows.map((row) => ({
    sourceId: row.source_id,
    format: row.format,
    url: row.url,
    kinds: row.kinds,
    minSeverity: row.min_severity,
    sealedSigningSecret: row.signing_secret,
  }));
}
