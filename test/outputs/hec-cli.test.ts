import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findOutputByName } from '../../store/outputs';
import { outputSecretContext } from '../../store/credentials';
import { withWorker } from '../../harness/worker';
import { HecReceiver } from '../../harness/hec-receiver';
import { cipher, cliEnvironment, openTestDatabase } from '../cli/cli-test-setup';
import { eventually, refusal, runCli, succeeded } from '../cli/run-cli';
import { createIdleSource } from '../../harness/sources';
import { storeEvents } from './stored-rows';
import { positionOf } from './output-kit';

const TOKEN = '6f1c2e4a-0b7d-4c1e-9a55-3d2f8e7b9c10';

describe('atlassian-audit outputs add --kind splunk_hec', () => {
  let db: Database;
  let hec: HecReceiver;
  beforeAll(async () => {
    db = openTestDatabase();
    hec = await HecReceiver.start({ tokens: { [TOKEN]: 'enabled' }, ack: true });
  });
  afterAll(async () => {
    await hec.down();
    await db.close();
  });

  it('adds a HEC output with its token by reference, sealed, and forwards ECS records acknowledged by the indexers', async () => {
    const source = await createIdleSource(db, cipher);
    const ids = await storeEvents(db, source, 30);
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const env = cliEnvironment(taskQueue, 'https://api.atlassian.com', { AUDIT_SECRET_HEC_TOKEN: TOKEN });
      const name = `splunk-${source.name}`;
      const args = ['outputs', 'add', name, '--kind', 'splunk_hec', '--hec-url', hec.url, '--token-env', 'AUDIT_SECRET_HEC_TOKEN', '--ack', '--index', 'audit', '--format', 'ecs', '--sources', source.name, '--batch-age', '0'];
      const added = JSON.parse(succeeded(await runCli([...args, '--json'], { env })));
      expect(added).toMatchObject({ action: 'outputs add', output: name, kind: 'splunk_hec', format: 'ecs', destination: hec.url, ack: true });

      const stored = (await findOutputByName(db, name))!;
      expect(stored.settings).toMatchObject({ url: hec.url, index: 'audit', ack: true, sourcetype: 'atlassian:audit' });
      expect(JSON.stringify(stored.settings)).not.toContain(TOKEN);
      const { rows } = await db.query('SELECT sealed FROM output_secrets WHERE output_id = $1 AND name = $2', [stored.id, 'token']);
      expect(cipher.open(rows[0].sealed, outputSecretContext(stored.id, 'token'))).toBe(TOKEN);

      await eventually(async () => (await positionOf(db, stored.id, source.id)).delivered, (d) => d === 30, 'the forward');
      const received = hec.events.filter((e) => e.envelope.source === source.name);
      expect(new Set(received.map((e) => e.envelope.fields.event_id))).toEqual(new Set(ids));
      expect(received.every((e) => e.envelope.index === 'audit' && e.envelope.event.event.id === e.envelope.fields.event_id)).toBe(true);
      expect(hec.ackQueries.length).toBeGreaterThan(0);
      succeeded(await runCli(['outputs', 'remove', name], { env }));
    });
  });

  it.each([
    [['--token-env', 'AUDIT_SECRET_HEC_TOKEN'], "a splunk_hec output needs --hec-url, the collector's base URL"],
    [['--hec-url', 'https://splunk.example.com:8088'], 'a splunk_hec output needs --token-env'],
    [['--hec-url', 'http://splunk.example.com:8088', '--token-env', 'AUDIT_SECRET_HEC_TOKEN'], 'would send the token in clear: use https'],
    [['--hec-url', 'https://splunk.example.com:8088', '--token-env', 'DATABASE_URL'], "--token-env: DATABASE_URL is one of the product"],
    [['--hec-url', 'https://splunk.example.com:8088', '--token-env', 'AUDIT_SECRET_HEC_TOKEN', '--bucket', 'b'], '--bucket is for s3 outputs, not splunk_hec'],
  ])('refuses %j in one line', async (flags, message) => {
    const env = cliEnvironment('unused', 'https://api.atlassian.com', { AUDIT_SECRET_HEC_TOKEN: TOKEN });
    const printed = refusal(await runCli(['outputs', 'add', 'refused-hec', '--kind', 'splunk_hec', ...flags], { env }));
    expect(printed).toContain(message);
    expect(printed).not.toContain(TOKEN);
    expect(await findOutputByName(db, 'refused-hec')).toBeUndefined();
  });
});
