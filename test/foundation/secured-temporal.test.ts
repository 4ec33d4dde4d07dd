import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database';
import type { RunningSimulator } from '../../simulator/server';
import { startApiKeyIssuer, type ApiKeyIssuer } from '../../harness/api-keys';
import { createTestPki, type TestPki } from '../../harness/certificates';
import { useSimulatorAndDatabase } from '../../harness/fixtures';
import { startSecuredTemporal, type SecuredTemporal } from '../../harness/secured-temporal';
import { WorkerProcess } from '../../harness/worker-process';
import { cliEnvironment, CREDENTIALS_KEY, eventsOf, KEY_VAR, openTestDatabase } from '../cli/cli-test-setup';
import { eventually, refusal, runCli, succeeded } from '../cli/run-cli';

const HISTORY = 40;
const SOURCE = 'secured-acme';

/**
 * Workers and the CLI against a Temporal server secured as Temporal Cloud or a production cluster is: mTLS with a
 * client certificate of the server's CA, and an API key on every call. Wrong credentials stop them in one line.
 */
describe('a Temporal server with mTLS and API keys', () => {
  let simulator: RunningSimulator;
  let db: Database;
  let dir: string;
  let pki: TestPki;
  let apiKeys: ApiKeyIssuer;
  let temporal: SecuredTemporal;
  const taskQueue = `secured-${randomUUID()}`;
  useSimulatorAndDatabase({ seed: 7, orgs: [{}], history: { count: HISTORY, spanMs: 24 * 3_600_000 } }, (fixture) => ({ simulator, db } = fixture), openTestDatabase);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'secured-temporal-'));
    pki = createTestPki(path.join(dir, 'pki'));
    apiKeys = await startApiKeyIssuer();
    temporal = await startSecuredTemporal(dir, pki, apiKeys);
    // The first run on a machine builds the Temporal server with Go (a few minutes), as the cluster profile does.
  }, 15 * 60_000);
  afterAll(async () => {
    await temporal?.stop();
    await apiKeys?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const secured = (extra: Record<string, string | undefined> = {}) => ({ ...temporal.clientEnvironment, ...extra });
  const cli = (args: string[], extra: Record<string, string | undefined> = {}) =>
    runCli(args, { env: cliEnvironment(taskQueue, simulator.url, { ...secured(extra), [KEY_VAR]: simulator.orgs[0].keys.valid }) });

  it('runs a source: the worker and the CLI connect with the client certificate and the API key', async () => {
    // The key the CLI seals the source's API key with.
    const worker = new WorkerProcess(taskQueue, secured({ CREDENTIALS_KEY }));
    try {
      await worker.ready();
      expect(worker.output).toContain(`worker polling task queue ${taskQueue} on ${temporal.address}`);
      expect(succeeded(await cli(['add', SOURCE, '--org-id', simulator.orgs[0].id, '--api-key-env', KEY_VAR]))).toContain(`added source ${SOURCE}`);
      await eventually(() => eventsOf(db, SOURCE), (n) => n === HISTORY, 'the backfill over mTLS');
      const status = JSON.parse(succeeded(await cli(['status', SOURCE, '--json'])));
      expect(status.workflow).toMatchObject({ running: true, view: { eventsIngested: HISTORY } });
    } finally {
      await worker.stop();
    }
  });

  it('connects with a profile of the temporal CLI\'s config file instead of variables', async () => {
    const configFile = path.join(dir, 'temporal.toml');
    const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_SERVER_NAME } = temporal.clientEnvironment;
    const profile = (name: string, client: { cert: string; key: string }) =>
      `[profile.${name}]\naddress = "${TEMPORAL_ADDRESS}"\nnamespace = "${TEMPORAL_NAMESPACE}"\napi_key = "${TEMPORAL_API_KEY}"\n` +
      `[profile.${name}.tls]\nclient_cert_path = "${client.cert}"\nclient_key_path = "${client.key}"\nserver_ca_cert_path = "${pki.ca.cert}"\nserver_name = "${TEMPORAL_TLS_SERVER_NAME}"\n`;
    writeFileSync(configFile, profile('production', pki.client) + profile('stranger', pki.strangerClient));
    const noVariables = Object.fromEntries(Object.keys(temporal.clientEnvironment).map((name) => [name, undefined]));
    const withProfile = (name: string) => ({ ...noVariables, TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: name });

    const worker = new WorkerProcess(taskQueue, { ...withProfile('production'), CREDENTIALS_KEY });
    try {
      await worker.ready();
      expect(worker.output).toContain(`on ${temporal.address}`);
      const status = JSON.parse(succeeded(await cli(['status', SOURCE, '--json'], withProfile('production'))));
      expect(status.workflow).toMatchObject({ running: true });
    } finally {
      await worker.stop();
    }

    const refused = new WorkerProcess(taskQueue, withProfile('stranger'));
    expect(await refused.ended()).not.toBe(0);
    expect(refused.output.trimEnd()).toBe(
      `error: cannot connect to Temporal at ${temporal.address}: the server refused the client certificate ` +
        `(tls.client_cert_path=${pki.strangerClient.cert} in Temporal profile "stranger"): it is not issued by a CA the server trusts`,
    );
  });

  const refusals: Array<{ what: string; env: () => Record<string, string | undefined>; says: () => string }> = [
    {
      what: 'a client certificate of another CA',
      env: () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.strangerClient.cert, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strangerClient.key }),
      says: () =>
        `error: cannot connect to Temporal at ${temporal.address}: the server refused the client certificate ` +
        `(TEMPORAL_TLS_CLIENT_CERT_PATH=${pki.strangerClient.cert}): it is not issued by a CA the server trusts`,
    },
    {
      what: 'the key of another certificate',
      env: () => ({ TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strangerClient.key }),
      says: () =>
        `error: the TLS client key (TEMPORAL_TLS_CLIENT_KEY_PATH=${pki.strangerClient.key}) is not the key of the client certificate ` +
        `(TEMPORAL_TLS_CLIENT_CERT_PATH=${pki.client.cert})`,
    },
    {
      what: 'a missing certificate file',
      env: () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'no-such.pem') }),
      says: () => `error: cannot read the TLS client certificate ${path.join(dir, 'no-such.pem')} (TEMPORAL_TLS_CLIENT_CERT_PATH): no such file`,
    },
    {
      what: 'no client certificate',
      env: () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined }),
      says: () => `error: cannot connect to Temporal at ${temporal.address}: the server requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`,
    },
    {
      what: 'a server CA that did not issue the server certificate',
      env: () => ({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.strangerCa.cert }),
      says: () => `error: cannot connect to Temporal at ${temporal.address}: the server's certificate is not issued by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH=${pki.strangerCa.cert}`,
    },
    {
      what: 'an API key the server did not issue',
      env: () => ({ TEMPORAL_API_KEY: BAD_API_KEY }),
      says: () => `error: Temporal at ${temporal.address} refused the API key (TEMPORAL_API_KEY)`,
    },
    {
      what: 'no API key',
      env: () => ({ TEMPORAL_API_KEY: undefined }),
      says: () => `error: Temporal at ${temporal.address} refused the call without an API key: set TEMPORAL_API_KEY`,
    },
    {
      what: 'an API key without access to the namespace',
      env: () => ({ TEMPORAL_API_KEY: apiKeys.issue(['another-namespace:admin']) }),
      says: () => `error: Temporal at ${temporal.address} refused the API key (TEMPORAL_API_KEY)`,
    },
    {
      what: 'no TLS at all',
      env: () => ({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: undefined }),
      says: () => `error: cannot connect to Temporal at ${temporal.address}: the server requires TLS: set TEMPORAL_TLS=true, and the client certificate and key if it asks for one`,
    },
  ];

  it.each(refusals)('stops the worker in one line on $what', async ({ env, says }) => {
    const worker = new WorkerProcess(taskQueue, secured(env()));
    expect(await worker.ended()).not.toBe(0);
    expect(worker.output.trimEnd()).toBe(says());
  });

  it.each(refusals)('refuses the CLI in one line on $what', async ({ env, says }) => {
    const run = await cli(['pause', SOURCE], env());
    expect(refusal(run)).toBe(says());
    expect(run.stderr).not.toContain(BAD_API_KEY);
  });
});

const BAD_API_KEY = 'not-issued-by-the-server-0f3c9a';
