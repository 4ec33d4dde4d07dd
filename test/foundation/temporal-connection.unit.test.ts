import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnvironment } from '../../config/environment';
import { OperatorError } from '../../config/operator-error';
import { resolveTemporalTarget, temporalConnection } from '../../config/temporal-connection';
import { createTestPki, type TestPki } from '../../harness/certificates';

/** How workers and the CLI read their Temporal settings: variables and profiles, and a bad one in one line. */
describe('Temporal connection settings', () => {
  let dir: string;
  let pki: TestPki;
  /** A HOME without a temporal.toml, so the developer's own profiles stay out of the test. */
  let home: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-connection-'));
    pki = createTestPki(path.join(dir, 'pki'));
    home = { HOME: path.join(dir, 'home') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const writeConfig = (name: string, toml: string) => {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, toml);
    return file;
  };

  it('keeps the defaults: the local dev server, namespace default, no TLS; empty variables count as unset', () => {
    for (const variables of [home, { ...home, TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', TEMPORAL_API_KEY: '' }]) {
      expect(temporalConnection(variables).options).toEqual({ address: '127.0.0.1:7233' });
      expect(resolveTemporalTarget(variables)).toEqual({ address: '127.0.0.1:7233', namespace: 'default' });
    }
  });

  it('turns TLS on for an API key, and reads the client certificate, its key and the server CA', () => {
    expect(temporalConnection({ ...home, TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key-1' }).options).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'key-1' });
    const { tls } = temporalConnection({
      ...home,
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca.cert,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    }).options;
    expect(tls).toMatchObject({ serverNameOverride: 'temporal.internal' });
    const config = tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array }; serverRootCACertificate: Uint8Array };
    expect(Buffer.from(config.clientCertPair.crt).toString()).toContain('BEGIN CERTIFICATE');
    expect(Buffer.from(config.clientCertPair.key).toString()).toContain('PRIVATE KEY');
    expect(Buffer.from(config.serverRootCACertificate).toString()).toContain('BEGIN CERTIFICATE');
  });

  it('reads the default profile of ~/.config/temporalio/temporal.toml, which variables override, for the worker and the CLI alike', () => {
    const configHome = path.join(dir, 'xdg');
    writeConfig('xdg/temporalio/temporal.toml', '[profile.default]\naddress = "temporal.internal:7233"\nnamespace = "audit"\n');
    const variables = { ...home, XDG_CONFIG_HOME: configHome, DATABASE_URL: 'postgres://localhost/audit' };
    expect(resolveTemporalTarget(variables)).toEqual({ address: 'temporal.internal:7233', namespace: 'audit' });
    expect(loadEnvironment(variables)).toMatchObject({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'audit' });
    expect(resolveTemporalTarget({ ...variables, TEMPORAL_ADDRESS: 'other:7233' })).toEqual({ address: 'other:7233', namespace: 'audit' });
  });

  const refusals: Array<{ what: string; variables: () => Record<string, string>; says: () => string }> = [
    {
      what: 'a config file that is not there',
      variables: () => ({ TEMPORAL_CONFIG_FILE: path.join(dir, 'none.toml') }),
      says: () => `TEMPORAL_CONFIG_FILE: no file at ${path.join(dir, 'none.toml')}`,
    },
    {
      what: 'a profile the file lacks',
      variables: () => ({ TEMPORAL_CONFIG_FILE: writeConfig('one.toml', '[profile.staging]\naddress = "a:7233"\n'), TEMPORAL_PROFILE: 'production' }),
      says: () => `TEMPORAL_PROFILE: no profile "production" in ${path.join(dir, 'one.toml')} (TEMPORAL_CONFIG_FILE)`,
    },
    {
      what: 'a file that is not TOML',
      variables: () => ({ TEMPORAL_CONFIG_FILE: writeConfig('bad.toml', '[profile.default\naddress = "a:7233"\n') }),
      says: () => `cannot use the Temporal client config ${path.join(dir, 'bad.toml')} (TEMPORAL_CONFIG_FILE): Invalid TOML document: illegal character in key (line 1)`,
    },
    {
      what: 'a certificate given both as a path and as data',
      variables: () => ({ TEMPORAL_CONFIG_FILE: writeConfig('both.toml', '[profile.default.tls]\nclient_cert_path = "/a.pem"\nclient_cert_data = "x"\n') }),
      says: () => `cannot use the Temporal client config ${path.join(dir, 'both.toml')} (TEMPORAL_CONFIG_FILE): Cannot specify both client_cert_path and client_cert_data`,
    },
    {
      what: 'a profile naming a missing certificate file',
      variables: () => ({ TEMPORAL_CONFIG_FILE: writeConfig('gone.toml', `[profile.default.tls]\nclient_cert_path = "/gone.pem"\nclient_key_path = "${pki.client.key}"\n`) }),
      says: () => 'cannot read the TLS client certificate /gone.pem (tls.client_cert_path in Temporal profile "default"): no such file',
    },
    {
      what: 'a client certificate without its key',
      variables: () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.cert }),
      says: () => `TEMPORAL_TLS_CLIENT_CERT_PATH=${pki.client.cert} is set but not the client certificate's key (TEMPORAL_TLS_CLIENT_KEY_PATH)`,
    },
    {
      what: 'a key without its certificate',
      variables: () => ({ TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.key }),
      says: () => `TEMPORAL_TLS_CLIENT_KEY_PATH=${pki.client.key} is set but not the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH)`,
    },
    {
      what: 'a key file where the certificate belongs',
      variables: () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.key, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.key }),
      says: () => `TEMPORAL_TLS_CLIENT_CERT_PATH=${pki.client.key} is not a PEM certificate`,
    },
    {
      what: 'key data that is no key, without repeating it',
      variables: () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.cert, TEMPORAL_TLS_CLIENT_KEY_DATA: 'not-a-key-but-maybe-a-secret' }),
      says: () => 'TEMPORAL_TLS_CLIENT_KEY_DATA is not a PEM private key',
    },
    {
      what: 'a server CA file that is no certificate',
      variables: () => ({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca.key }),
      says: () => `TEMPORAL_TLS_SERVER_CA_CERT_PATH=${pki.ca.key} is not a PEM certificate`,
    },
  ];

  it.each(refusals)('refuses $what in one line', ({ variables, says }) => {
    const attempt = () => temporalConnection({ ...home, ...variables() });
    expect(attempt).toThrow(OperatorError);
    expect(attempt).toThrow(new OperatorError(says()));
  });
});
