import { randomBytes } from 'node:crypto';
import { webhookSecretContext, webhookUrlContext, type CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import type { AlertKind, Queryable, Severity } from './alert-store';

export type DestinationFormat = 'webhook' | 'slack';

export interface Destination {
  sourceId: string | null;
  format: DestinationFormat;
  /** Scheme, host and port (redactUrl): the URL itself is sealed. */
  shownUrl: string;
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
    // Not even its start is shown: text that is no URL may be a token given in its place.
    throw new WebhookUrlError('webhook URL cannot be read as a URL (its text is not shown: it may hold a secret)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookUrlError(`webhook URL must be http(s), got ${url.protocol}`);
  if (!url.hostname) throw new WebhookUrlError('webhook URL has no host');
  return url.toString();
}

/**
 * A webhook URL is a credential (Slack's carry their token in the path): shown as scheme, host and port only.
 * Text that is no URL at all shows nothing: it may be a token.
 */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return '…';
  }
}

/**
 * Sets or, with url null, removes a source's own destination of one format. A changed destination keeps its id, so
 * the notices waiting for it go to where it points now.
 */
export async function setSourceDestination(
  q: Queryable,
  cipher: CredentialCipher,
  sourceId: string,
  format: DestinationFormat,
  url: string | null,
  routing: Routing = {},
): Promise<void> {
  if (url === null) {
    await q.query('DELETE FROM alert_destinations WHERE source_id = $1 AND format = $2', [sourceId, format]);
    return;
  }
  await writeDestination(q, cipher, sourceId, format, parseWebhookUrl(url), routing);
}

async function writeDestination(q: Queryable, cipher: CredentialCipher, sourceId: string | null, format: DestinationFormat, url: string, routing: Routing): Promise<void> {
  if (routing.sealedSigningSecret && format !== 'webhook') throw new WebhookUrlError('only webhook destinations are signed; Slack checks its own URLs');
  await q.query(
    `INSERT INTO alert_destinations (source_id, format, sealed_url, shown_url, kinds, min_severity, signing_secret) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT ((COALESCE(source_id, '00000000-0000-0000-0000-000000000000'::uuid)), format) DO UPDATE
       SET url = NULL, sealed_url = EXCLUDED.sealed_url, shown_url = EXCLUDED.shown_url, kinds = EXCLUDED.kinds,
           min_severity = EXCLUDED.min_severity, signing_secret = EXCLUDED.signing_secret`,
    [sourceId, format, cipher.seal(url, webhookUrlContext(sourceId, format)), redactUrl(url), routing.kinds ?? null, routing.minSeverity ?? 'info', routing.sealedSigningSecret ?? null],
  );
}

/**
 * Makes the global destinations what this worker's environment says. Every worker of a deployment shares one
 * environment, so whichever starts last writes the same thing; an unset variable removes its destination.
 */
export async function publishGlobalDestinations(
  db: Database,
  cipher: CredentialCipher,
  urls: { webhook?: string; slack?: string },
  sealedWebhookSecret?: Buffer,
): Promise<void> {
  await db.withTransaction(async (tx) => {
    await tx.query('DELETE FROM alert_destinations WHERE source_id IS NULL');
    if (urls.webhook) await writeDestination(tx, cipher, null, 'webhook', parseWebhookUrl(urls.webhook), { sealedSigningSecret: sealedWebhookSecret });
    if (urls.slack) await writeDestination(tx, cipher, null, 'slack', parseWebhookUrl(urls.slack), {});
  });
}

/** A destination's URL, opened: only delivery, `apply` and `reencrypt` need it. */
export function openDestinationUrl(cipher: CredentialCipher | undefined, row: { sourceId: string | null; format: string; url: string | null; sealedUrl: Buffer | null }): string {
  // A row from before the URLs were sealed, until a worker's start or `reencrypt` seals it.
  if (row.url !== null) return row.url;
  if (!cipher) throw new WebhookUrlError('no credentials key to open the webhook URL with');
  return cipher.open(row.sealedUrl!, webhookUrlContext(row.sourceId, row.format));
}

/**
 * Seals the URLs stored in clear before migration 009 (a migration cannot encrypt); safe to run again and from
 * several workers at once. Returns how many it sealed.
 */
export async function sealClearDestinations(db: Database, cipher: CredentialCipher): Promise<number> {
  const { rows } = await db.query<{ id: string; source_id: string | null; format: string; url: string }>(
    'SELECT id, source_id, format, url FROM alert_destinations WHERE url IS NOT NULL',
  );
  let sealed = 0;
  for (const row of rows) {
    const { rowCount } = await db.query('UPDATE alert_destinations SET url = NULL, sealed_url = $3 WHERE id = $1 AND url = $2', [
      row.id,
      row.url,
      cipher.seal(row.url, webhookUrlContext(row.source_id, row.format)),
    ]);
    sealed += rowCount ?? 0;
  }
  return sealed;
}

/** A source's own destination as stored, with its sealed URL and signing secret (openDestinationUrl opens the URL). */
export interface StoredDestination extends Omit<Destination, 'signed' | 'sourceId'> {
  sourceId: string;
  /** Clear only on a row written before migration 009 and not sealed since. */
  url: string | null;
  sealedUrl: Buffer | null;
  sealedSigningSecret: Buffer | null;
}

/** Every source's own destinations, in one read (`apply` compares them with a file). */
export async function listSourceDestinations(q: Queryable): Promise<StoredDestination[]> {
  const { rows } = await q.query<{
    source_id: string;
    format: DestinationFormat;
    url: string | null;
    sealed_url: Buffer | null;
    shown_url: string;
    kinds: AlertKind[] | null;
    min_severity: Severity;
    signing_secret: Buffer | null;
  }>(
    'SELECT source_id, format, url, sealed_url, shown_url, kinds, min_severity, signing_secret FROM alert_destinations WHERE source_id IS NOT NULL ORDER BY source_id, format',
  );
  return rows.map((row) => ({
    sourceId: row.source_id,
    format: row.format,
    url: row.url,
    sealedUrl: row.sealed_url,
    shownUrl: row.shown_url,
    kinds: row.kinds,
    minSeverity: row.min_severity,
    sealedSigningSecret: row.signing_secret,
  }));
}
