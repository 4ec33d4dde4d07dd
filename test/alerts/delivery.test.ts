import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openAlert, resolveAlert } from '../../alerts/alert-store';
import { createAlertDelivery } from '../../alerts/delivery';
import { listAlerts } from '../../alerts/alert-queries';
import { outboundPolicy } from '../../config/outbound-guard';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret, parseWebhookUrl, publishGlobalDestinations, sealSigningSecret, setSourceDestination } from '../../alerts/destinations';
import { sourceWorkflowId } from '../../contract/ids';
import type { Database } from '../../store/database';
import { deleteSource } from '../../store/sources';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import type { RunningSimulator } from '../../simulator/server';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { countEvents, createTestSource, eventually, testActivities, testCipher } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { alertsOf, deliveriesOf, noticesAbout, routeAlertsTo, useAlertFixture } from './alert-test-kit';
import { WebhookReceiver } from '../../harness/webhook-receiver';

const API = 'http://127.0.0.1:9';

describe('alert delivery', () => {
  let db: Database;
  let receiver: WebhookReceiver;
  let simulator: RunningSimulator;
  useAlertFixture({ seed: 53, orgs: [{}], history: { count: 30, spanMs: 3600_000 } }, (fixture) => ({ simulator, db, receiver } = fixture));

  const deliverNow = () => createAlertDelivery(db, { requestTimeoutMs: 1_000, cipher: testCipher })();
  const newSource = () => createTestSource(db, { organizationId: 'org', apiKey: 'secret-api-key-value', apiBaseUrl: API });

  it('keeps an alert recorded and retried while its webhook answers 500, and ingestion goes on', async () => {
    const org = simulator.orgs[0];
    const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, pollIntervalSeconds: 10, silenceWindowSeconds: 3 });
    const path = await routeAlertsTo(db, source.id, receiver.url);
    receiver.status = 500;
    try {
      await withWorker(testActivities(db), async ({ client, taskQueue }) => {
        const handle = await startSourceWorkflow(client, source, taskQueue);
        await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting');
        const [alert] = await eventually(() => alertsOf(db, source.id), (a) => a.length > 0, 20_000, 100);

        // Retried with back-off (1 s, 2 s, ...), each failure recorded; the alert stays open and recorded.
        const [failing] = await eventually(() => deliveriesOf(db, alert.id), (d) => d[0]?.attempts >= 3, 20_000, 200);
        expect(failing).toMatchObject({ notice: 'opened', status: 'pending', last_error: 'HTTP 500' });
        // An attempt is counted when claimed, just before its POST: the third POST may still be on its way.
        await eventually(async () => noticesAbout(receiver.at(path), alert.id).length, (n) => n >= 3, 10_000, 100);
        expect(noticesAbout(receiver.at(path), alert.id).length).toBeGreaterThanOrEqual(3);

        // Meanwhile the source polls as usual; its events resolve the alert, and the resolution waits its turn.
        const before = await countEvents(db, source.id);
        simulator.addEvents(org.id, { count: 5 });
        await handle.signal(pollNowSignal);
        await eventually(() => countEvents(db, source.id), (n) => n === before + 5, 10_000);
        await eventually(() => alertsOf(db, source.id), (a) => a[0].status === 'resolved', 10_000);

        receiver.status = 200;
        const delivered = await eventually(() => deliveriesOf(db, alert.id), (d) => d.length === 2 && d.every((row) => row.status === 'delivered'), 30_000, 200);
        expect(delivered.map((d) => d.notice)).toEqual(['opened', 'resolved']);
        const answered = receiver.at(path).filter((r) => r.body?.alert?.id === alert.id);
        // Every opening attempt precedes the resolution: a receiver never hears of the end first.
        expect(answered[answered.length - 1].body.notice).toBe('resolved');
        expect(answered.filter((r) => r.body.notice === 'resolved')).toHaveLength(1);
        await handle.terminate('test done');
      });
    } finally {
      receiver.status = 200;
    }
  });

  it('signs webhook notices as Standard Webhooks specifies, routes them by kind and severity, and links Slack notices to the Web UI', async () => {
    const source = await newSource();
    const secret = newSigningSecret();
    const signedUrl = `${receiver.url}/signed/${source.id}`;
    const slackUrl = `${receiver.url}/slack-detections/${source.id}`;
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', signedUrl, { minSeverity: 'high', sealedSigningSecret: sealSigningSecret(testCipher, signedUrl, secret) });
    await setSourceDestination(db.pool, testCipher, source.id, 'slack', slackUrl, { kinds: ['detection'] });
    const low = await openAlert(db.pool, { sourceId: source.id, kind: 'detection', dedupKey: 'api-token-revoked:e1', severity: 'low', title: 'API token revoked', message: 'm' });
    const high = await openAlert(db.pool, { sourceId: source.id, kind: 'credentials', severity: 'high', title: 'key rejected', message: 'm' });
    await createAlertDelivery(db, { requestTimeoutMs: 1_000, cipher: testCipher, links: { webUiUrl: 'http://ui.example:8233/', namespace: 'default' } })();

    const signed = receiver.at(`/signed/${source.id}`);
    expect(signed.map((notice) => notice.body.alert.id)).toEqual([high.alertId]);
    const headers = signed[0].headers as Record<string, string>;
    expect(headers['webhook-id']).toBe(`alert-${high.alertId}-opened`);
    expect(new Webhook(secret).verify(signed[0].raw, headers)).toMatchObject({ notice: 'opened', alert: { id: high.alertId } });
    expect(() => new Webhook(secret).verify(signed[0].raw.replace('key rejected', 'key accepted'), headers)).toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(signed[0].raw, headers)).toThrow();

    const slack = receiver.at(`/slack-detections/${source.id}`);
    expect(slack).toHaveLength(1);
    expect(slack[0].headers['webhook-signature']).toBeUndefined();
    expect(JSON.stringify(slack[0].body.blocks)).toContain(`<http://ui.example:8233/namespaces/default/workflows/${sourceWorkflowId(source.name)}|`);
    expect(slack[0].body.blocks[1].elements[0].text).toContain(`alert ${low.alertId}`);
  });

  it('posts a generic JSON document and a Slack-compatible { text }, with an idempotency key, and nothing secret', async () => {
    const source = await newSource();
    const webhookPath = await routeAlertsTo(db, source.id, receiver.url, 'webhook');
    const slackPath = await routeAlertsTo(db, source.id, receiver.url, 'slack');
    const { alertId } = await openAlert(db.pool, {
      sourceId: source.id,
      kind: 'credentials',
      severity: 'high',
      title: `${source.name}: polling stopped <@channel>`,
      message: 'The key was rejected.',
      details: { failureType: 'AtlassianAuthRejected' },
    });
    await deliverNow();
    const [generic] = receiver.at(webhookPath);
    expect(generic.headers['content-type']).toBe('application/json');
    expect(generic.headers['idempotency-key']).toBe(`alert-${alertId}-opened`);
    expect(generic.body).toMatchObject({
      notice: 'opened',
      alert: { id: alertId, kind: 'credentials', severity: 'high', status: 'open', source: { id: source.id, name: source.name }, details: { failureType: 'AtlassianAuthRejected' } },
    });
    const [slack] = receiver.at(slackPath);
    expect(Object.keys(slack.body)).toEqual(['text', 'blocks']);
    expect(slack.body.blocks[1].elements[0].text).toContain('alert ');
    expect(slack.body.text).toContain('*HIGH*');
    expect(slack.body.text).toContain('polling stopped &lt;@channel&gt;');
    for (const notice of [generic, slack]) expect(JSON.stringify(notice.body)).not.toContain('secret-api-key-value');

    await resolveAlert(db.pool, { sourceId: source.id, kind: 'credentials', message: 'Polling works again.' });
    await deliverNow();
    expect(receiver.at(slackPath)[1].body.text).toMatch(/Resolved.*\n.*Polling works again\./);
    expect(receiver.at(webhookPath)[1].body).toMatchObject({ notice: 'resolved', alert: { status: 'resolved', resolution: 'Polling works again.' } });
  });

  it('sends each notice once even when several deliverers run at the same time', async () => {
    const source = await newSource();
    const path = await routeAlertsTo(db, source.id, receiver.url);
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push((await openAlert(db.pool, { sourceId: source.id, kind: 'detection', dedupKey: `r${i}`, severity: 'low', title: 't', message: 'm' })).alertId);
    await Promise.all([deliverNow(), deliverNow(), deliverNow()]);
    await deliverNow();
    const got = receiver.at(path).map((r) => r.body.alert.id as number);
    expect(got.sort((a, b) => a - b)).toEqual(ids);
  });

  it('records why a destination failed in one line, without its URL', async () => {
    const source = await newSource();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', `http://127.0.0.1:${port}/services/T0/B0/secret-path`);
    const { alertId } = await openAlert(db.pool, { sourceId: source.id, kind: 'silence', severity: 'high', title: 't', message: 'm' });
    await deliverNow();
    expect(await deliveriesOf(db, alertId)).toEqual([{ notice: 'opened', format: 'webhook', status: 'pending', attempts: 1, last_error: 'ECONNREFUSED' }]);
    // Nobody else's deliverer should knock on that port later.
    await deleteSource(db, source.id);
  });

  it("keeps only the status of a failed webhook's reply, never its text", async () => {
    const source = await newSource();
    const path = `/talks-back/${source.id}`;
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', `${receiver.url}${path}`);
    const { alertId } = await openAlert(db.pool, { sourceId: source.id, kind: 'silence', severity: 'high', title: 't', message: 'm' });
    receiver.status = 500;
    try {
      await deliverNow();
    } finally {
      receiver.status = 200;
    }
    expect(receiver.at(path)).toHaveLength(1);
    // The receiver answered "receiver says no": whoever runs a receiver must not be able to write into `alerts`.
    expect(await deliveriesOf(db, alertId)).toEqual([{ notice: 'opened', format: 'webhook', status: 'pending', attempts: 1, last_error: 'HTTP 500' }]);
    const [view] = (await listAlerts(db, { sourceId: source.id, recent: 10 })).filter((alert) => alert.id === alertId);
    expect(JSON.stringify(view)).not.toContain('receiver says no');
    await deleteSource(db, source.id);
  });

  it('refuses webhooks on loopback, link-local and private addresses unless their network is allowed, before sending a byte', async () => {
    const source = await newSource();
    const path = `/guarded/${source.id}`;
    const deliverWith = (allowedNetworks: string) => createAlertDelivery(db, { requestTimeoutMs: 1_000, cipher: testCipher, outbound: outboundPolicy(allowedNetworks) })();
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', `${receiver.url}${path}`);
    await setSourceDestination(db.pool, testCipher, source.id, 'slack', 'http://169.254.169.254/latest/meta-data/');
    const { alertId } = await openAlert(db.pool, { sourceId: source.id, kind: 'silence', severity: 'high', title: 't', message: 'm' });
    await deliverWith('');
    expect(receiver.at(path)).toHaveLength(0);
    // Given up at once: the address stays refused until the operator allows its network.
    expect(await deliveriesOf(db, alertId)).toEqual([
      { notice: 'opened', format: 'slack', status: 'failed', attempts: 1, last_error: 'refused: 169.254.169.254 is a link-local address (cloud metadata lives there), not in OUTBOUND_ALLOWED_NETWORKS' },
      { notice: 'opened', format: 'webhook', status: 'failed', attempts: 1, last_error: 'refused: 127.0.0.1 is a loopback address, not in OUTBOUND_ALLOWED_NETWORKS' },
    ]);

    await setSourceDestination(db.pool, testCipher, source.id, 'slack', null);
    const allowed = await openAlert(db.pool, { sourceId: source.id, kind: 'credentials', severity: 'high', title: 't', message: 'm' });
    await deliverWith('127.0.0.0/8');
    expect(receiver.at(path)).toHaveLength(1);
    expect(await deliveriesOf(db, allowed.alertId)).toMatchObject([{ format: 'webhook', status: 'delivered' }]);
    await deleteSource(db, source.id);
  });

  it('gives up on a timeout like on an error, and stops retrying after three days', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const source = await newSource();
      await setSourceDestination(db.pool, testCipher, source.id, 'webhook', `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`);
      const { alertId } = await openAlert(db.pool, { sourceId: source.id, kind: 'silence', severity: 'high', title: 't', message: 'm' });
      await deliverNow();
      expect(await deliveriesOf(db, alertId)).toEqual([{ notice: 'opened', format: 'webhook', status: 'pending', attempts: 1, last_error: 'no answer within 1 s' }]);

      await db.query(`UPDATE alert_deliveries SET created_at = now() - interval '4 days', next_attempt_at = now() WHERE alert_id = $1`, [alertId]);
      await deliverNow();
      expect(await deliveriesOf(db, alertId)).toMatchObject([{ status: 'failed', attempts: 2 }]);
      await deleteSource(db, source.id);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('reads nothing of a reply but its status, however long the receiver goes on', async () => {
    // A receiver that refuses the notice, then streams its reply for ever.
    let sent = 0;
    const endless = createServer((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pour = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      };
      res.on('drain', pour);
      pour();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', () => resolve()));
    try {
      const source = await newSource();
      await setSourceDestination(db.pool, testCipher, source.id, 'webhook', `http://127.0.0.1:${(endless.address() as AddressInfo).port}/hook`);
      const { alertId } = await openAlert(db.pool, { sourceId: source.id, kind: 'silence', severity: 'high', title: 't', message: 'm' });
      // The 500 alone, well within the request's 1 s: not a timeout after a second of reading.
      await deliverNow();
      expect(await deliveriesOf(db, alertId)).toEqual([{ notice: 'opened', format: 'webhook', status: 'pending', attempts: 1, last_error: 'HTTP 500' }]);
      expect(sent).toBeLessThan(64 * 1024 * 1024);
      await deleteSource(db, source.id);
    } finally {
      endless.closeAllConnections();
      endless.close();
    }
  });

  it('queues notices to the global destinations that workers publish from their environment', async () => {
    const source = await newSource();
    const url = `${receiver.url}/global/${source.id}`;
    let alertId: number;
    try {
      await publishGlobalDestinations(db, testCipher, { slack: url });
      ({ alertId } = await openAlert(db.pool, { sourceId: source.id, kind: 'silence', severity: 'high', title: 'quiet', message: 'm' }));
      await deliverNow();
    } finally {
      await publishGlobalDestinations(db, testCipher, {});
    }
    expect(receiver.at(`/global/${source.id}`).map((r) => Object.keys(r.body))).toEqual([['text', 'blocks']]);
    expect(await deliveriesOf(db, alertId)).toMatchObject([{ format: 'slack', status: 'delivered' }]);
    // Named by its stable id: the row is rewritten at every worker's start, and `alerts` shows no more than the host.
    const { rows } = await db.query('SELECT destination_id FROM alert_deliveries WHERE alert_id = $1', [alertId]);
    expect(rows).toEqual([{ destination_id: 'env:slack' }]);
  });

  it('refuses a webhook URL that is not http(s) where it is configured', async () => {
    const source = await newSource();
    expect(parseWebhookUrl('https://hooks.example.com/services/T0/B0/x')).toBe('https://hooks.example.com/services/T0/B0/x');
    for (const bad of ['ftp://example.com/hook', 'javascript:alert(1)', 'file:///etc/passwd', 'not a url']) {
      expect(() => parseWebhookUrl(bad)).toThrow(/http\(s\)|cannot be read as a URL/);
      await expect(setSourceDestination(db.pool, testCipher, source.id, 'webhook', bad)).rejects.toThrow();
    }
    await expect(publishGlobalDestinations(db, testCipher, { webhook: 'ftp://example.com/hook' })).rejects.toThrow(/http\(s\)/);
  });
});
