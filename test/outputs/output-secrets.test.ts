import { randomBytes } from 'node:crypto';
import { createCredentialCipher } from '../../store/credentials';
import { insertOutput, openOutputSecrets, DEFAULT_BATCHING } from '../../store/outputs';
import { reencryptSecrets } from '../../store/reencrypt';
import { openOwnDatabase, type OwnDatabase } from '../../harness/own-database';

describe("outputs' sealed secrets", () => {
  let own: OwnDatabase;
  beforeAll(async () => {
    own = await openOwnDatabase('output_secrets');
  });
  afterAll(() => own?.close());

  it('are bound to their output and name, and reencrypt moves them to the new key', async () => {
    const oldKey = randomBytes(32);
    const oldCipher = createCredentialCipher(oldKey);
    const common = { kind: 'http' as const, format: 'raw' as const, settings: {}, allSources: true, sourceIds: [], batching: DEFAULT_BATCHING, lagAlertSeconds: 3600 };
    const url = 'https://siem.example/ingest?token=t0p-secret';
    const one = await insertOutput(own.db, oldCipher, { ...common, name: 'one', secrets: { url, signingSecret: `whsec_${randomBytes(24).toString('base64')}` } });
    const two = await insertOutput(own.db, oldCipher, { ...common, name: 'two', secrets: { url: 'https://other.example/in' } });
    const { rows } = await own.db.query('SELECT sealed FROM output_secrets');
    expect(rows.some((row) => row.sealed.includes(Buffer.from('t0p-secret')))).toBe(false);

    // A value copied onto another output's row does not open there.
    await own.db.query(`UPDATE output_secrets SET sealed = (SELECT sealed FROM output_secrets WHERE output_id = $1 AND name = 'url') WHERE output_id = $2 AND name = 'url'`, [one.id, two.id]);
    await expect(openOutputSecrets(own.db, oldCipher, two.id)).rejects.toThrow();
    await own.db.query(`DELETE FROM output_secrets WHERE output_id = $1`, [two.id]);

    const newKey = randomBytes(32);
    expect(await reencryptSecrets(own.db, createCredentialCipher([newKey, oldKey]))).toMatchObject({ failed: [], reencrypted: 2 });
    expect((await openOutputSecrets(own.db, createCredentialCipher(newKey), one.id)).url).toBe(url);
  });
});
