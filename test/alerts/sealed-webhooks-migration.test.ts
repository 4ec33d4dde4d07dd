import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listAlerts } from '../../alerts/alert-queries';
import { listSourceDestinations, openDestinationUrl, sealClearDestinations } from '../../alerts/destinations';
import { createThrowawayDatabase, type RunningDatabase } from '../../scripts/stack/postgres';
import { apiKeyContext, createCredentialCipher, webhookSecretContext } from '../../store/credentials';
import { openDatabase, type Database } from '../../store/database';
import { migrate } from '../../store/migrate';
import { reencryptSecrets } from '../../store/reencrypt';
import { requiredEnv } from '../../harness/env';
import { testCipher, testCredentialsKey } from '../../harness/sources';

// A database that an earlier release wrote: webhook URLs in clear in alert_destinations, and copied, with the signing
// secret, into every alert_deliveries row. Migration 009 names destinations instead; the URLs are sealed afterwards
// (a migration cannot encrypt) by sealClearDestinations, which every worker runs at start, and by `reencrypt`.

const MIGRATIONS = path.join(__dirname, '..', '..', 'migrations');
const HOOK = 'http://127.0.0.1:9/services/T0/B0/old-hook-token';
const SLACK = 'https://hooks.slack.example/services/T1/B1/global-slack-token';

let database: RunningDatabase;
let db: Database;

beforeAll(async () => {
  database = await createThrowawayDatabase(requiredEnv('DATABASE_URL'), `sealed_hooks_${process.pid}_${Date.now()}`);
  db = openDatabase(database.url, { maxConnections: 2 });
  await db.query('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  for (const file of readdirSync(MIGRATIONS).filter((name) => name.endsWith('.sql') && name < '009').sort()) {
    await db.query(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
    await db.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
  }
});
afterAll(async () => {
  await db?.close();
  await database?.stop();
});

it('names the destination of every notice, keeps the URLs working until they are sealed, then seals and re-encrypts them', async () => {
  const { rows: sources } = await db.query<{ id: string }>(
    `INSERT INTO sources (name, organization_id, api_key_ciphertext, api_base_url, poll_interval_seconds, silence_window_seconds)
     VALUES ('before-009', 'org', $1, 'https://api.atlassian.com', 60, 3600) RETURNING id`,
    [testCipher.seal('key', `source-api-key:unused`)],
  );
  const sourceId = sources[0].id;
  await db.query('UPDATE sources SET api_key_ciphertext = $2 WHERE id = $1', [sourceId, testCipher.seal('key', apiKeyContext(sourceId))]);
  const signing = testCipher.seal(`whsec_${randomBytes(24).toString('base64')}`, webhookSecretContext(HOOK));
  const { rows: destinations } = await db.query<{ id: string }>(
    `INSERT INTO alert_destinations (source_id, format, url, signing_secret) VALUES ($1, 'webhook', $2, $3), (NULL, 'slack', $4, NULL) RETURNING id`,
    [sourceId, HOOK, signing, SLACK],
  );
  const { rows: alerts } = await db.query<{ id: string }>(
    `INSERT INTO alerts (source_id, kind, severity, title, message) VALUES ($1, 'silence', 'high', 't', 'm') RETURNING id`,
    [sourceId],
  );
  const alertId = Number(alerts[0].id);
  await db.query(
    `INSERT INTO alert_deliveries (alert_id, notice, format, url, signing_secret, status) VALUES
       ($1, 'opened', 'webhook', $2, $3, 'pending'), ($1, 'opened', 'slack', $4, NULL, 'delivered'), ($1, 'opened', 'webhook', 'http://gone.example/x', NULL, 'pending')`,
    [alertId, HOOK, signing, SLACK],
  );

  expect(await migrate(db)).toContain('009_sealed_webhooks.sql');

  const { rows: deliveries } = await db.query(`SELECT * FROM alert_deliveries WHERE alert_id = $1 ORDER BY id`, [alertId]);
  expect(deliveries.map((d) => [d.destination_id, d.status, d.last_error])).toEqual([
    [destinations[0].id, 'pending', null],
    ['env:slack', 'delivered', null],
    [`removed:${deliveries[2].id}`, 'failed', 'its destination was removed'],
  ]);
  expect(JSON.stringify(deliveries)).not.toMatch(/token|gone\.example/);
  const [view] = await listAlerts(db, { sourceId, recent: 5 });
  expect(view.deliveries.map((d) => d.destination)).toEqual(['http://127.0.0.1:9/…', 'https://hooks.slack.example/…', `removed:${deliveries[2].id} (no longer configured)`]);

  // Until a worker starts, the clear row still delivers; then it is sealed, and a new clear one is refused.
  const [before] = await listSourceDestinations(db.pool);
  expect(openDestinationUrl(testCipher, before)).toBe(HOOK);
  expect(await sealClearDestinations(db, testCipher)).toBe(2);
  expect(await sealClearDestinations(db, testCipher)).toBe(0);
  const { rows: stored } = await db.query('SELECT url, sealed_url FROM alert_destinations');
  expect(stored.every((row) => row.url === null && row.sealed_url !== null)).toBe(true);
  const [after] = await listSourceDestinations(db.pool);
  expect(openDestinationUrl(testCipher, after)).toBe(HOOK);
  await expect(db.query(`INSERT INTO alert_destinations (source_id, format, url, shown_url) VALUES (NULL, 'webhook', $1, 'x')`, [HOOK])).rejects.toThrow(
    /alert_destinations_url_sealed/,
  );

  // reencrypt moves the URLs to the new key, then the signing secrets bound to them.
  const newKey = randomBytes(32);
  const rotated = createCredentialCipher([newKey, Buffer.from(testCredentialsKey, 'base64')]);
  expect(await reencryptSecrets(db, rotated)).toMatchObject({ failed: [], reencrypted: 4 });
  const onlyNew = createCredentialCipher(newKey);
  const [resealed] = await listSourceDestinations(db.pool);
  expect(openDestinationUrl(onlyNew, resealed)).toBe(HOOK);
  expect(onlyNew.open(resealed.sealedSigningSecret!, webhookSecretContext(HOOK))).toMatch(/^whsec_/);
});
