import { createCipheriv, randomBytes } from 'node:crypto';
import { createActivities } from '../../activities';
import { statusQuery, pollNowSignal } from '../../contract/source-messages';
import { sourceWorkflowId } from '../../contract/ids';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import { apiKeyContext, createCredentialCipher, CredentialsKeyError } from '../../store/credentials';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';
import { eventually } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { cipher as oldCipher, cliEnvironment, CREDENTIALS_KEY as OLD_KEY, eventsOf, KEY_VAR } from './cli-test-setup';
import { refusal, runCli, succeeded } from './run-cli';

describe('the credentials key', () => {
  it('binds a sealed value to its row and names the key that sealed it', () => {
    const key = randomBytes(32);
    const cipher = createCredentialCipher(key);
    const sealed = cipher.seal('api-key-value', apiKeyContext('source-a'));
    expect(cipher.open(sealed, apiKeyContext('source-a'))).toBe('api-key-value');
    expect(() => cipher.open(sealed, apiKeyContext('source-b'))).toThrow(CredentialsKeyError);
    expect(() => cipher.open(sealed, apiKeyContext('source-b'))).toThrow('sealed for another row');
    expect(cipher.isCurrent(sealed)).toBe(true);

    // A newer key seals from now on and still opens what the older one sealed.
    const rotated = createCredentialCipher([randomBytes(32), key]);
    expect(rotated.open(sealed, apiKeyContext('source-a'))).toBe('api-key-value');
    expect(rotated.isCurrent(sealed)).toBe(false);
    expect(() => createCredentialCipher(randomBytes(32)).open(sealed, apiKeyContext('source-a'))).toThrow('none of CREDENTIALS_KEY and CREDENTIALS_PREVIOUS_KEYS');
  });

  it('opens values sealed before key ids existed', () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const legacy = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([legacy.update('old-api-key', 'utf8'), legacy.final()]);
    const sealed = Buffer.concat([iv, legacy.getAuthTag(), body]);
    const cipher = createCredentialCipher(key);
    expect(cipher.open(sealed, apiKeyContext('any'))).toBe('old-api-key');
    expect(cipher.isCurrent(sealed)).toBe(false);
  });

  // A database of its own: reencrypt reads every row, and other files' rows are sealed with their own keys.
  describe('rotated with reencrypt', () => {
    let db: Database;
    let simulator: RunningSimulator;
    let ownDatabase: OwnDatabase;
    beforeAll(async () => {
      ownDatabase = await openOwnDatabase('rotation');
      db = ownDatabase.db;
      simulator = await startSimulator({ seed: 49, orgs: [{}, {}], history: { count: 40, spanMs: 3_600_000 } });
    });
    afterAll(async () => {
      await simulator?.close();
      await ownDatabase?.close();
    });

    it('moves every key to the new one, after which sources poll without the old key, and refuses a value copied across sources', async () => {
      const [first, second] = simulator.orgs;
      const newKey = randomBytes(32).toString('base64');
      const newOnly = createCredentialCipher(Buffer.from(newKey, 'base64'));
      await withWorker(createActivities({ db, cipher: oldCipher }), async ({ taskQueue }) => {
        const env = { ...cliEnvironment(taskQueue, simulator.url), DATABASE_URL: ownDatabase.url };
        succeeded(await runCli(['add', 'rotating-a', '--org-id', first.id, '--api-key-env', KEY_VAR], { env: { ...env, [KEY_VAR]: first.keys.valid } }));
        succeeded(await runCli(['add', 'rotating-b', '--org-id', second.id, '--api-key-env', KEY_VAR], { env: { ...env, [KEY_VAR]: second.keys.valid } }));
        await eventually(() => eventsOf(db, 'rotating-a'), (n) => n === 40, 30_000);
        await eventually(() => eventsOf(db, 'rotating-b'), (n) => n === 40, 30_000);

        const rotatedEnv = { ...env, CREDENTIALS_KEY: newKey, CREDENTIALS_PREVIOUS_KEYS: OLD_KEY };
        expect(succeeded(await runCli(['reencrypt'], { env: rotatedEnv }))).toMatch(new RegExp(`^re-encrypted [2-9]\\d* secret\\(s\\) with key ${newOnly.keyId}; \\d+ already were\\n$`));
        expect(succeeded(await runCli(['reencrypt'], { env: rotatedEnv }))).toMatch(/^re-encrypted 0 secret\(s\) with key [0-9a-f]{16}; [2-9]\d* already were\n$/);
        const a = (await findSourceByName(db, 'rotating-a'))!;
        expect(newOnly.open(a.apiKeyCiphertext, apiKeyContext(a.id))).toBe(first.keys.valid);

        // A value moved to another source's row is refused, and named without its content.
        const b = (await findSourceByName(db, 'rotating-b'))!;
        await db.query('UPDATE sources SET api_key_ciphertext = $2 WHERE id = $1', [b.id, a.apiKeyCiphertext]);
        const copied = refusal(await runCli(['reencrypt'], { env: { ...env, CREDENTIALS_KEY: newKey } }));
        expect(copied).toMatch(new RegExp(`^error: 1 secret\\(s\\) could not be opened \\(.*\\): API key of source ${b.id}: the stored secret does not belong here`));
        expect(copied).not.toContain(first.keys.valid);
        await db.query('UPDATE sources SET api_key_ciphertext = $2 WHERE id = $1', [b.id, b.apiKeyCiphertext]);
      });

      // The old key is gone from the configuration: the sources still poll.
      await withWorker(createActivities({ db, cipher: newOnly }), async ({ client, taskQueue }) => {
        for (const [name, org] of [['rotating-a', first], ['rotating-b', second]] as const) {
          const source = (await findSourceByName(db, name))!;
          const handle = client.workflow.getHandle(sourceWorkflowId(name));
          await handle.terminate('moved to a worker with only the new key');
          const restarted = await startSourceWorkflow(client, source, taskQueue);
          simulator.addEvents(org.id, { count: 5 });
          await restarted.signal(pollNowSignal);
          await eventually(() => eventsOf(db, name), (n) => n === 45, 30_000);
          expect((await restarted.query(statusQuery)).errors).toBe(0);
          await restarted.terminate('test done');
        }
      });
    });
  });
});
