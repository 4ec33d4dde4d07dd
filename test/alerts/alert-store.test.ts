import { openAlert, resolveAlert, type AlertToOpen } from '../../alerts/alert-store';
import { listSourceDestinations, openDestinationUrl, setSourceDestination } from '../../alerts/destinations';
import { Database } from '../../store/database';
import { createTestSource, openTestDatabase, testCipher } from '../../harness/sources';

const API = 'http://127.0.0.1:9';

describe('alert store', () => {
  let db: Database;
  beforeAll(() => {
    db = openTestDatabase();
  });
  afterAll(() => db.close());

  const newSource = () => createTestSource(db, { organizationId: 'org', apiKey: 'k', apiBaseUrl: API });
  const silence = (sourceId: string, extra: Partial<AlertToOpen> = {}): AlertToOpen => ({
    sourceId,
    kind: 'silence',
    severity: 'high',
    title: 'quiet',
    message: 'no events',
    ...extra,
  });
  const deliveriesOf = async (alertId: number) =>
    (
      await db.query<{ notice: string; format: string; destination_id: string; status: string }>(
        'SELECT notice, format, destination_id, status FROM alert_deliveries WHERE alert_id = $1 ORDER BY notice, format',
        [alertId],
      )
    ).rows;

  it('opens one alert per source, kind and dedup key until it is resolved, then a new one', async () => {
    const source = await newSource();
    const first = await openAlert(db.pool, silence(source.id));
    expect(first.opened).toBe(true);
    expect(await openAlert(db.pool, silence(source.id, { title: 'again' }))).toEqual({ alertId: first.alertId, opened: false });
    const other = await openAlert(db.pool, silence(source.id, { dedupKey: 'x' }));
    expect(other.opened).toBe(true);
    expect(other.alertId).not.toBe(first.alertId);

    expect(await resolveAlert(db.pool, { sourceId: source.id, kind: 'silence', message: 'events again' })).toEqual({ alertId: first.alertId });
    expect(await resolveAlert(db.pool, { sourceId: source.id, kind: 'silence', message: 'events again' })).toBeUndefined();
    const { rows } = await db.query('SELECT status, resolution, resolved_at IS NOT NULL AS has_time FROM alerts WHERE id = $1', [first.alertId]);
    expect(rows[0]).toEqual({ status: 'resolved', resolution: 'events again', has_time: true });

    const next = await openAlert(db.pool, silence(source.id));
    expect(next.opened).toBe(true);
    expect(next.alertId).not.toBe(first.alertId);
  });

  it('lets concurrent openers, each in its own transaction, open exactly one alert', async () => {
    const source = await newSource();
    const results = await Promise.all(Array.from({ length: 6 }, () => db.withTransaction((tx) => openAlert(tx, silence(source.id, { kind: 'credentials' })))));
    expect(results.filter((r) => r.opened)).toHaveLength(1);
    expect(new Set(results.map((r) => r.alertId)).size).toBe(1);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM alerts WHERE source_id = $1 AND kind = 'credentials'`, [source.id]);
    expect(rows[0].n).toBe(1);
  });

  it('rolls back with the caller: an alert opened in a failed transaction never existed, nor did its delivery', async () => {
    const source = await newSource();
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', 'http://127.0.0.1:1/hook');
    await expect(
      db.withTransaction(async (tx) => {
        await openAlert(tx, silence(source.id));
        throw new Error('the ingest failed');
      }),
    ).rejects.toThrow('the ingest failed');
    const { rows } = await db.query('SELECT count(*)::int AS n FROM alerts WHERE source_id = $1', [source.id]);
    expect(rows[0].n).toBe(0);
    const { rows: queued } = await db.query('SELECT count(*)::int AS n FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE a.source_id = $1', [source.id]);
    expect(queued[0].n).toBe(0);
  });

  it("queues a notice per destination of the source, by the destination's id; the resolution also goes where the opening went", async () => {
    const source = await newSource();
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', 'http://127.0.0.1:1/a-secret-token');
    await setSourceDestination(db.pool, testCipher, source.id, 'slack', 'http://127.0.0.1:1/s-secret-token');
    const idOf = async (format: string) =>
      (await db.query<{ id: string }>('SELECT id::text FROM alert_destinations WHERE source_id = $1 AND format = $2', [source.id, format])).rows[0].id;
    const [webhookId, slackId] = [await idOf('webhook'), await idOf('slack')];
    const { alertId } = await openAlert(db.pool, silence(source.id));
    expect(await deliveriesOf(alertId)).toEqual([
      { notice: 'opened', format: 'slack', destination_id: slackId, status: 'pending' },
      { notice: 'opened', format: 'webhook', destination_id: webhookId, status: 'pending' },
    ]);
    // The URL is a credential: sealed in its destination, never copied into the outbox.
    const { rows: outbox } = await db.query('SELECT * FROM alert_deliveries WHERE alert_id = $1', [alertId]);
    expect(JSON.stringify(outbox)).not.toContain('secret-token');
    const { rows: stored } = await db.query('SELECT url, sealed_url, shown_url FROM alert_destinations WHERE source_id = $1 ORDER BY format', [source.id]);
    expect(stored.map((row) => ({ url: row.url, shown: row.shown_url, sealed: row.sealed_url.toString('latin1').includes('secret-token') }))).toEqual([
      { url: null, shown: 'http://127.0.0.1:1/…', sealed: false },
      { url: null, shown: 'http://127.0.0.1:1/…', sealed: false },
    ]);

    // A changed destination keeps its id; a removed one still hears the end of what it heard the start of.
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', 'http://127.0.0.1:1/b');
    expect(await idOf('webhook')).toBe(webhookId);
    await setSourceDestination(db.pool, testCipher, source.id, 'slack', null);
    await resolveAlert(db.pool, { sourceId: source.id, kind: 'silence', message: 'flowing' });
    const resolved = (await deliveriesOf(alertId)).filter((d) => d.notice === 'resolved').map((d) => d.destination_id);
    expect(resolved.sort()).toEqual([webhookId, slackId].sort());
  });

  it('keeps an alert recorded with no delivery when no destination is configured', async () => {
    const source = await newSource();
    const { alertId, opened } = await openAlert(db.pool, silence(source.id));
    expect(opened).toBe(true);
    expect(await deliveriesOf(alertId)).toEqual([]);
  });

  it("seals a webhook URL for its own row: copied to another source's destination, it does not open", async () => {
    const [mine, theirs] = [await newSource(), await newSource()];
    await setSourceDestination(db.pool, testCipher, mine.id, 'webhook', 'https://hooks.example/mine-token');
    await setSourceDestination(db.pool, testCipher, theirs.id, 'webhook', 'https://hooks.example/theirs');
    await db.query(
      `UPDATE alert_destinations SET sealed_url = (SELECT sealed_url FROM alert_destinations WHERE source_id = $1 AND format = 'webhook') WHERE source_id = $2 AND format = 'webhook'`,
      [mine.id, theirs.id],
    );
    const stored = (await listSourceDestinations(db.pool)).filter((d) => d.sourceId === mine.id || d.sourceId === theirs.id);
    expect(openDestinationUrl(testCipher, stored.find((d) => d.sourceId === mine.id)!)).toBe('https://hooks.example/mine-token');
    expect(() => openDestinationUrl(testCipher, stored.find((d) => d.sourceId === theirs.id)!)).toThrow(/does not belong here/);
  });

  it('refuses a webhook URL written in clear, as every release before sealed URLs wrote it', async () => {
    const source = await newSource();
    await expect(
      db.query(`INSERT INTO alert_destinations (source_id, format, url, shown_url) VALUES ($1, 'webhook', 'https://hooks.example/T0/secret', 'https://hooks.example/…')`, [source.id]),
    ).rejects.toThrow(/alert_destinations_url_sealed/);
  });

  it('refuses a destination that is not http(s)', async () => {
    const source = await newSource();
    await expect(db.query(`INSERT INTO alert_destinations (source_id, format, url, shown_url) VALUES ($1, 'webhook', 'ftp://example.com/x', 'x')`, [source.id])).rejects.toThrow(
      /check constraint/,
    );
  });
});
