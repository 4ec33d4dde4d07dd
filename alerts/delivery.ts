import { Webhook } from 'standardwebhooks';
import { environmentPolicy, guardedDispatcher, outboundRefusalIn, type OutboundPolicy } from '../config/outbound-guard';
import { webhookSecretContext, type CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { destinationIdOf } from './alert-store';
import { openDestinationUrl, type DestinationFormat } from './destinations';
import { AlertRecord, Notice, noticeBody, toAlertRecord, type WebUiLinks } from './notice-payload';
import { describeFetchError } from '../config/fetch-error';

/** Rows claimed per round; they are sent concurrently, so a round takes about one request timeout at most. */
const BATCH_SIZE = 20;
const REQUEST_TIMEOUT_MS = 10_000;
/** A claimed row is someone's for this long; a deliverer that died mid-round gives its rows back by running out. */
const LEASE_SECONDS = 60;
/** Retries back off 1 s, 2 s, 4 s ... up to this, and stop once a notice has waited this long. */
const MAX_BACKOFF_SECONDS = 600;
const GIVE_UP_AFTER = '3 days';

export interface DeliveryRound {
  attempted: number;
  delivered: number;
  failed: number;
  /** More rows were due than one round takes. */
  more: boolean;
  /** When the earliest pending row is due (ISO), or null when nothing is pending. */
  nextDueAt: string | null;
}

/**
 * Pending rows that may go out. A resolution or an update waits while its destination has not had the opening: receivers see
 * them in order, and the wait costs no round of its own, since the opening's next attempt comes first.
 */
const SENDABLE = `d.status = 'pending' AND NOT (d.notice IN ('resolved', 'updated') AND EXISTS (
  SELECT 1 FROM alert_deliveries o
  WHERE o.alert_id = d.alert_id AND o.destination_id = d.destination_id AND o.notice = 'opened' AND o.status = 'pending'))`;

interface ClaimedDelivery {
  id: number;
  alertId: number;
  notice: Notice;
  format: DestinationFormat;
  destinationId: string;
  /** 'updated' notices: the detection count it tells of. */
  atCount: number;
}

/** Where a notice goes, as its destination is configured now: the URL still sealed. */
interface DestinationRow {
  sourceId: string | null;
  format: DestinationFormat;
  url: string | null;
  sealedUrl: Buffer | null;
  /** Sealed Standard Webhooks secret of the destination, when it signs. */
  signingSecret: Buffer | null;
}

export interface DeliveryOptions {
  requestTimeoutMs?: number;
  /** Opens the signing secrets of webhook destinations; without it, notices to a signing destination fail. */
  cipher?: CredentialCipher;
  /** Where Slack notices link to the source's workflow. */
  links?: WebUiLinks;
  /** Which non-public addresses notices may reach; by default what OUTBOUND_ALLOWED_NETWORKS allows. */
  outbound?: OutboundPolicy;
}

/** Why a notice was not delivered, in one short line without the URL; final when trying again cannot help. */
interface DeliveryFailure {
  error: string;
  final?: boolean;
}

/**
 * Works off the outbox: claims due rows (SKIP LOCKED, so deliverers on several workers share the work), POSTs
 * each notice, and records the outcome. A failure is not an activity failure: the row waits for its next attempt
 * and the other destinations are unaffected.
 */
export function createAlertDelivery(db: Database, options: DeliveryOptions = {}) {
  const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  return async function deliverPendingAlerts(): Promise<DeliveryRound> {
    const claimed = await claimDue(db);
    const alerts = await loadAlerts(db, [...new Set(claimed.map((d) => d.alertId))]);
    const destinations = await loadDestinations(db, [...new Set(claimed.map((d) => d.destinationId))]);
    const outcomes = await Promise.all(
      claimed.map(async (delivery) => {
        const alert = alerts.get(delivery.alertId);
        const destination = destinations.get(delivery.destinationId);
        const failure = !alert
          ? { error: 'the alert no longer exists' }
          : !destination
            ? { error: 'its destination was removed', final: true }
            : await post(delivery, destination, alert, timeoutMs, options);
        await record(db, delivery.id, failure);
        return failure === undefined;
      }),
    );
    const { rows } = await db.query<{ next: Date | null }>(`SELECT min(next_attempt_at) AS next FROM alert_deliveries d WHERE ${SENDABLE}`);
    const delivered = outcomes.filter(Boolean).length;
    return {
      attempted: claimed.length,
      delivered,
      failed: claimed.length - delivered,
      more: claimed.length === BATCH_SIZE,
      nextDueAt: rows[0].next?.toISOString() ?? null,
    };
  };
}

async function claimDue(db: Database): Promise<ClaimedDelivery[]> {
  const { rows } = await db.query(
    `WITH due AS (
       SELECT id FROM alert_deliveries d WHERE ${SENDABLE} AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     UPDATE alert_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
     FROM due WHERE d.id = due.id
     RETURNING d.id, d.alert_id, d.notice, d.format, d.destination_id, d.at_count`,
    [BATCH_SIZE, LEASE_SECONDS],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    alertId: Number(row.alert_id),
    notice: row.notice,
    format: row.format,
    destinationId: row.destination_id,
    atCount: row.at_count,
  }));
}

async function loadDestinations(db: Database, ids: string[]): Promise<Map<string, DestinationRow>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query(
    `SELECT ${destinationIdOf('d')} AS destination_id, d.source_id, d.format, d.url, d.sealed_url, d.signing_secret
       FROM alert_destinations d WHERE ${destinationIdOf('d')} = ANY($1::text[])`,
    [ids],
  );
  return new Map(
    rows.map((row) => [row.destination_id, { sourceId: row.source_id, format: row.format, url: row.url, sealedUrl: row.sealed_url, signingSecret: row.signing_secret }]),
  );
}

async function loadAlerts(db: Database, ids: number[]): Promise<Map<number, AlertRecord>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query('SELECT a.*, s.name AS source_name FROM alerts a JOIN sources s ON s.id = a.source_id WHERE a.id = ANY($1::bigint[])', [ids]);
  return new Map(rows.map((row) => [Number(row.id), toAlertRecord(row)]));
}

/** Undefined when the destination accepted the notice, else why not. */
async function post(
  delivery: ClaimedDelivery,
  destination: DestinationRow,
  alert: AlertRecord,
  timeoutMs: number,
  options: DeliveryOptions,
): Promise<DeliveryFailure | undefined> {
  const body = JSON.stringify(noticeBody(delivery.format, delivery.notice, alert, delivery.id, options.links, delivery.atCount));
  // Delivery is at least once (a lease can run out mid-request): receivers may drop repeats by this key.
  const messageId = `alert-${alert.id}-${delivery.notice}${delivery.notice === 'updated' ? `-${delivery.atCount}` : ''}`;
  // Opened here and nowhere else: the URL is a credential, and it never leaves this function.
  let url: string;
  try {
    url = openDestinationUrl(options.cipher, destination);
  } catch (err) {
    return { error: `cannot open the webhook URL: ${(err as Error).message}` };
  }
  let signature: Record<string, string>;
  try {
    signature = signatureHeaders(destination.signingSecret, url, messageId, body, options.cipher);
  } catch (err) {
    return { error: `cannot sign the notice: ${(err as Error).message}` };
  }
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'atlassian-audit-source', 'Idempotency-Key': messageId, ...signature },
      body,
      // A redirect would send the notice somewhere nobody configured.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      dispatcher: guardedDispatcher(options.outbound ?? environmentPolicy()),
    });
    // The reply's text is never read back: it would reach the operator through `alerts`, a channel for whoever runs the receiver.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return undefined;
    return { error: `HTTP ${response.status}` };
  } catch (err) {
    // An address the operator has not allowed stays refused until they change the setting: no point retrying.
    const refusal = outboundRefusalIn(err);
    if (refusal) return { error: `refused: ${refusal}`, final: true };
    return { error: describeFetchError(err, timeoutMs) };
  }
}

/** Standard Webhooks headers for a destination that signs; none for one that does not. */
function signatureHeaders(signingSecret: Buffer | null, url: string, messageId: string, body: string, cipher: CredentialCipher | undefined): Record<string, string> {
  if (!signingSecret) return {};
  if (!cipher) throw new Error('no credentials key to open the signing secret with');
  const secret = cipher.open(signingSecret, webhookSecretContext(url));
  const timestamp = new Date();
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, timestamp, body),
  };
}

async function record(db: Database, id: number, failure: DeliveryFailure | undefined): Promise<void> {
  if (failure === undefined) {
    await db.query(`UPDATE alert_deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL WHERE id = $1`, [id]);
    return;
  }
  await db.query(
    `UPDATE alert_deliveries SET last_error = $2,
       next_attempt_at = now() + make_interval(secs => LEAST(power(2, attempts - 1), $3)),
       status = CASE WHEN $5 OR created_at < now() - $4::interval THEN 'failed' ELSE 'pending' END
     WHERE id = $1`,
    [id, failure.error, MAX_BACKOFF_SECONDS, GIVE_UP_AFTER, failure.final === true],
  );
}
