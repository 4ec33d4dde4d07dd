import { AtlassianClient } from '../../atlassian/client';
import { BadRequestError } from '../../atlassian/errors';
import { toApplicationFailure } from '../../atlassian/failures';
import { BAD_REQUEST } from '../../contract/failure-types';
import { loadEnvironment } from '../../config/environment';
import { ALLOWED_NETWORKS_SETTING, outboundPolicy, refusalOf } from '../../config/outbound-guard';
import { startSimulator, type RunningSimulator } from '../../simulator/server';

// A base URL may come from a sources file, that is from a pull request: aimed at this host, its network or the cloud's
// metadata service, the worker would carry the organization's admin key there. Requests reach such addresses only
// when the operator allows their network; the simulator here listens on 127.0.0.2, a loopback address.

let simulator: RunningSimulator;

beforeAll(async () => {
  simulator = await startSimulator({ host: '127.0.0.2', orgs: [{}], history: { count: 3, spanMs: 60_000 } });
});
afterAll(() => simulator.close());
beforeEach(() => simulator.resetRequestCounts());

const clientFor = (baseUrl: string, allowedNetworks?: string) =>
  new AtlassianClient({ baseUrl, apiKey: simulator.orgs[0].keys.valid, timeoutMs: 2_000, ...(allowedNetworks !== undefined ? { outbound: outboundPolicy(allowedNetworks) } : {}) });

async function refusalFrom(promise: Promise<unknown>): Promise<BadRequestError> {
  const outcome = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(BadRequestError);
  return outcome as BadRequestError;
}

describe('outbound guard of the Atlassian client', () => {
  it('refuses a loopback API before any request reaches it, as a failure that is not retried', async () => {
    const error = await refusalFrom(clientFor(simulator.url, '').validateKey(simulator.orgs[0].id));
    expect(error.message).toBe(`Atlassian events-stream request refused: 127.0.0.2 is a loopback address, not in ${ALLOWED_NETWORKS_SETTING}`);
    expect(error.message).not.toContain(simulator.orgs[0].keys.valid);
    expect(simulator.requestCounts().total).toBe(0);
    const failure = toApplicationFailure(error, 1);
    expect(failure).toMatchObject({ type: BAD_REQUEST, nonRetryable: true });
  });

  it('refuses a host name that resolves to loopback, and the metadata address, without dialling', async () => {
    const port = new URL(simulator.url).port;
    // localhost is 127.0.0.1 here, where nothing listens on the simulator's port: a refusal, not ECONNREFUSED, proves no dial.
    const byName = await refusalFrom(clientFor(`http://localhost:${port}`, '').validateKey(simulator.orgs[0].id));
    expect(byName.message).toMatch(/refused: localhost resolves only to refused addresses: (127\.0\.0\.1|::1) is a loopback address/);
    const metadata = await refusalFrom(clientFor('http://169.254.169.254', '').listOrgs());
    expect(metadata.message).toContain('169.254.169.254 is a link-local address');
    for (const address of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.0', 'fe80::1', 'fc00::1', '::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254']) {
      expect(refusalOf(address, outboundPolicy(''))).toBeDefined();
    }
    expect(refusalOf('104.192.136.1', outboundPolicy(''))).toBeUndefined();
    expect(refusalOf('2600:1f18::1', outboundPolicy(''))).toBeUndefined();
  });

  it('reaches an allowed network, and only that one', async () => {
    await expect(clientFor(simulator.url, '127.0.0.2/32,::1/128').validateKey(simulator.orgs[0].id)).resolves.toBeUndefined();
    expect(simulator.requestCounts().total).toBe(1);
    const elsewhere = await refusalFrom(clientFor(simulator.url, '127.0.0.1/32,10.1.2.0/24').validateKey(simulator.orgs[0].id));
    expect(elsewhere.message).toContain('127.0.0.2 is a loopback address');
    expect(simulator.requestCounts().total).toBe(1);
  });

  it('guards a client made without a policy by what OUTBOUND_ALLOWED_NETWORKS says', async () => {
    const setting = process.env[ALLOWED_NETWORKS_SETTING];
    try {
      delete process.env[ALLOWED_NETWORKS_SETTING];
      await refusalFrom(clientFor(simulator.url).validateKey(simulator.orgs[0].id));
      process.env[ALLOWED_NETWORKS_SETTING] = '127.0.0.0/8';
      await expect(clientFor(simulator.url).validateKey(simulator.orgs[0].id)).resolves.toBeUndefined();
    } finally {
      process.env[ALLOWED_NETWORKS_SETTING] = setting;
    }
    expect(simulator.requestCounts().total).toBe(1);
  });

  it('refuses a setting that is not a list of networks, in one line', () => {
    expect(() => loadEnvironment({ DATABASE_URL: 'postgres://x', [ALLOWED_NETWORKS_SETTING]: '127.0.0.1/8,localhost' })).toThrow(
      `${ALLOWED_NETWORKS_SETTING}: "localhost" is not a network such as 10.1.2.0/24, 127.0.0.1/32 or ::1/128`,
    );
    expect(() => outboundPolicy('0x7f.1/8')).toThrow(/is not a network/);
  });
});
