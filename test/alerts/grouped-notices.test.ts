import { createAlertDelivery } from '../../alerts/delivery';
import { createDetectionHook } from '../../detections/engine';
import type { Database } from '../../store/database';
import { openTestDatabase, testCipher } from '../../harness/sources';
import { detectionAlertsOf, sourceWithPacks } from '../detections/detection-harness';
import { ADMIN, ingestRows, minutes, row, USER, userEntry } from '../detections/sample-events';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret, sealSigningSecret, setSourceDestination } from '../../alerts/destinations';
import { WebhookReceiver } from '../../harness/webhook-receiver';

const impersonation = (hoursAgo: number) =>
  row({ action: 'user_logged_in_as_user', actor: ADMIN, context: [userEntry(USER)], time: new Date(Date.now() - hoursAgo * minutes(60)) });

describe('notices of a grouped detection alert', () => {
  let db: Database;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    db = openTestDatabase();
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await db.close();
  });

  it('sends the opening once, then an update at 2 and 4 detections, each with a message id of its own, to webhooks and Slack', async () => {
    const source = await sourceWithPacks(db);
    const path = `/grouped/${source.id}`;
    const url = `${receiver.url}${path}`;
    const secret = newSigningSecret();
    await setSourceDestination(db.pool, testCipher, source.id, 'webhook', url, { sealedSigningSecret: sealSigningSecret(testCipher, url, secret) });
    const slackPath = `/grouped-slack/${source.id}`;
    await setSourceDestination(db.pool, testCipher, source.id, 'slack', `${receiver.url}${slackPath}`);
    const hook = createDetectionHook();
    const deliver = createAlertDelivery(db, { requestTimeoutMs: 2_000, cipher: testCipher });
    // Two hours apart, past the rule's one-hour dedup period: five detections, one alert.
    for (const hoursAgo of [10, 8, 6, 4, 2]) {
      await ingestRows(db, source, [impersonation(hoursAgo)], hook);
      await deliver();
    }
    const [alert] = await detectionAlertsOf(db, source.id);
    const received = receiver.at(path);
    expect(received.map((r) => [r.body.notice, r.body.detectionsReached, r.body.alert.id])).toEqual([
      ['opened', undefined, Number(alert.id)],
      ['updated', 2, Number(alert.id)],
      ['updated', 4, Number(alert.id)],
    ]);
    expect(received[2].body.alert.group).toMatchObject({ detections: 4 });
    // Receivers drop repeats by message id: each doubling must carry one of its own, and verify.
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([`alert-${alert.id}-opened`, `alert-${alert.id}-updated-2`, `alert-${alert.id}-updated-4`]);
    for (const r of received) expect(new Webhook(secret).verify(r.raw, r.headers as Record<string, string>)).toMatchObject({ alert: { id: Number(alert.id) } });
    expect(receiver.at(slackPath).map((r) => (r.body.text as string).split('\n')[0])).toEqual([
      `:rotating_light: *HIGH* [${source.name}] ${alert.title}`,
      `:arrow_up: *2 detections* [${source.name}] ${alert.title}`,
      `:arrow_up: *4 detections* [${source.name}] ${alert.title}`,
    ]);
  });
});
