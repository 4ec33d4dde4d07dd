import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findSourceByName, updateSource } from '../../store/sources';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import { withWorker } from '../../harness/worker';
import { cipher, cliEnvironment, KEY_VAR, openTestDatabase } from './cli-test-setup';
import { eventually, exitedWith, refusal, runCli, succeeded } from './run-cli';

/** Stands in for attacker.example on loopback: it records every request and accepts no key. */
interface Attacker {
  url: string;
  requests: Array<{ url: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

async function startAttacker(): Promise<Attacker> {
  const requests: Attacker['requests'] = [];
  const server: Server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', authorization: request.headers.authorization });
    response.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"title":"Unauthorized"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('a sources file or a flag cannot send a secret anywhere the operator did not allow', () => {
  let db: Database;
  let simulator: RunningSimulator;
  let attacker: Attacker;
  let folder: string;
  let file: string;
  const write = (sources: unknown[]) => writeFileSync(file, toYaml({ sources }));

  beforeAll(async () => {
    db = openTestDatabase();
    simulator = await startSimulator({ seed: 25, orgs: [{}], history: { count: 5 } });
    attacker = await startAttacker();
    folder = mkdtempSync(path.join(os.tmpdir(), 'secret-routes-'));
    file = path.join(folder, 'sources.yaml');
  });
  afterAll(async () => {
    await attacker.close();
    await simulator.close();
    await db.close();
  });
  afterEach(() => expect(attacker.requests).toEqual([]));

  /** The CLI as the team's CI runs `apply`: the simulator is the API, the key in an allowed variable. */
  const env = (extra: Record<string, string | undefined> = {}) => cliEnvironment('secret-routes-idle', simulator.url, { [KEY_VAR]: simulator.orgs[0].keys.valid, ...extra });
  const apply = (extra?: Record<string, string | undefined>) => runCli(['apply', '-f', file], { env: env(extra) });
  const source = (fields: Record<string, unknown>) => ({ name: 'mallory', orgId: simulator.orgs[0].id, apiKey: { env: KEY_VAR }, ...fields });

  it('refuses a file that points the credentials key at a foreign host, and sends it nothing', async () => {
    write([source({ apiBaseUrl: attacker.url, apiKey: { env: 'CREDENTIALS_KEY' } })]);
    expect(refusal(await apply())).toBe(
      `error: ${file}: sources[0] (mallory): apiBaseUrl: API base URL ${attacker.url} is not allow-listed: the operator adds it to ATLASSIAN_API_ALLOWED_BASE_URLS`,
    );
    // With the operator's own key in an allowed variable, the foreign host gets nothing either.
    write([source({ apiBaseUrl: `${attacker.url}/` })]);
    expect(refusal(await apply())).toMatch(/apiBaseUrl: API base URL http:\/\/127\.0\.0\.1:\d+ is not allow-listed/);
    expect(await findSourceByName(db, 'mallory')).toBeUndefined();
  });

  it('compares base URLs once normalized: no user info, look-alike host, case or trailing-slash trick gets through', async () => {
    for (const [apiBaseUrl, says] of [
      ['https://api.atlassian.com@127.0.0.1', 'API base URL "127.0.0.1" must not carry user info before its host'],
      ['https://api.atlassian.com.evil.example', 'API base URL https://api.atlassian.com.evil.example is not allow-listed'],
      ['https://api.atlassian.com/?to=evil.example', 'API base URL must not carry a query or a fragment'],
      ['ftp://api.atlassian.com', 'API base URL must be https, got ftp:'],
    ]) {
      write([source({ apiBaseUrl })]);
      expect(refusal(await apply())).toContain(`${file}: sources[0] (mallory): apiBaseUrl: ${says}`);
    }
    // The same allowed URL spelled differently is the same URL: it is accepted (a dry run contacts nothing).
    write([source({ apiBaseUrl: `${simulator.url.replace('http', 'HTTP')}//` })]);
    expect(succeeded(await runCli(['apply', '-f', file, '--dry-run'], { env: env() }))).toContain('+ mallory: create');
  });

  it('refuses http:// unless the host is loopback and the development setting is on', async () => {
    const insecure = { ALLOW_INSECURE_LOOPBACK_HTTP: undefined };
    write([source({})]);
    expect(refusal(await apply(insecure))).toBe(
      `error: ATLASSIAN_API_BASE_URL: API base URL ${simulator.url} is http://: use https, or set ALLOW_INSECURE_LOOPBACK_HTTP=true for a local simulator`,
    );
    expect(refusal(await apply({ ATLASSIAN_API_ALLOWED_BASE_URLS: 'http://audit-proxy.example' }))).toBe(
      'error: ATLASSIAN_API_ALLOWED_BASE_URLS: API base URL http://audit-proxy.example is http://, which would send the key in clear: use https',
    );
  });

  it('lets { env } name only AUDIT_SECRET_* or listed variables, never the product’s own secrets', async () => {
    const says = (name: string, reason: string) => `error: ${file}: sources[0] (mallory): apiKey: ${name} ${reason}`;
    const own = "is one of the product's own settings and never a source's secret";
    for (const name of ['CREDENTIALS_KEY', 'CREDENTIALS_PREVIOUS_KEYS', 'DATABASE_URL', 'TEMPORAL_API_KEY', 'ALERT_WEBHOOK_URL']) {
      write([source({ apiKey: { env: name } })]);
      // Listed by the operator or not, these stay out of reach.
      expect(refusal(await apply({ SOURCES_ENV_ALLOWED: name }))).toBe(says(name, own));
    }
    write([source({ apiKey: { env: 'HOME' } })]);
    expect(refusal(await apply())).toBe(says('HOME', 'is not allowed: name variables AUDIT_SECRET_*, or list it in SOURCES_ENV_ALLOWED'));
    write([source({ webhooks: [{ url: { env: 'AUDIT_SECRET_HOOK_URL' }, signingSecret: { env: 'CREDENTIALS_KEY' } }] })]);
    expect(refusal(await apply())).toBe(`error: ${file}: sources[0] (mallory): webhooks (webhook).signingSecret: CREDENTIALS_KEY ${own}`);
    // A webhook URL is a secret too, read by the same rule.
    write([source({ webhooks: [{ url: { env: 'ALERT_SLACK_WEBHOOK_URL' } }] })]);
    expect(refusal(await apply())).toBe(`error: ${file}: sources[0] (mallory): webhooks (webhook).url: ALERT_SLACK_WEBHOOK_URL ${own}`);
    // A variable the operator listed is read like an AUDIT_SECRET_ one.
    write([source({ apiKey: { env: 'TEAM_ACME_KEY' } })]);
    expect(succeeded(await runCli(['apply', '-f', file, '--dry-run'], { env: env({ SOURCES_ENV_ALLOWED: 'OTHER, TEAM_ACME_KEY', TEAM_ACME_KEY: 'k' }) }))).toContain('+ mallory: create');
    expect(await findSourceByName(db, 'mallory')).toBeUndefined();
  });

  it('reads { file } only inside the sources file’s folder, links resolved', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'secret-routes-outside-'));
    writeFileSync(path.join(outside, 'stolen.key'), `${simulator.orgs[0].keys.valid}\n`);
    mkdirSync(path.join(folder, 'keys'), { recursive: true });
    symlinkSync(path.join(outside, 'stolen.key'), path.join(folder, 'keys', 'link.key'));
    symlinkSync(outside, path.join(folder, 'elsewhere'));
    for (const ref of [path.join(outside, 'stolen.key'), '../' + path.basename(outside) + '/stolen.key', 'keys/../../x.key', 'keys/link.key', 'elsewhere/stolen.key']) {
      write([source({ apiKey: { file: ref } })]);
      expect(refusal(await apply())).toBe(`error: ${file}: sources[0] (mallory): apiKey: file ${ref} is outside the sources file's folder: keep secrets files next to it`);
    }
    expect(await findSourceByName(db, 'mallory')).toBeUndefined();
  });

  it('applies the same rules to the flags', async () => {
    const org = simulator.orgs[0];
    const cases: Array<[string[], Record<string, string | undefined>, string]> = [
      [['add', 'mallory', '--org-id', org.id, '--api-key-env', 'CREDENTIALS_KEY'], {}, "--api-key-env: CREDENTIALS_KEY is one of the product's own settings and never a source's secret"],
      [['add', 'mallory', '--org-id', org.id, '--api-key-env', 'PATH'], {}, '--api-key-env: PATH is not allowed: name variables AUDIT_SECRET_*, or list it in SOURCES_ENV_ALLOWED'],
      [['add', 'mallory', '--org-id', org.id, '--api-key-env', KEY_VAR, '--api-base-url', attacker.url], {}, `API base URL ${attacker.url} is not allow-listed: the operator adds it to ATLASSIAN_API_ALLOWED_BASE_URLS`],
      [['add', 'mallory', '--org-id', org.id, '--api-key-env', KEY_VAR, '--api-base-url', `https://api.atlassian.com@${attacker.url.slice('http://'.length)}`], {}, `API base URL "${attacker.url.slice('http://'.length)}" must not carry user info before its host`],
      [['rotate-key', 'mallory', '--api-key-env', 'TEMPORAL_ADDRESS'], {}, "--api-key-env: TEMPORAL_ADDRESS is one of the product's own settings and never a source's secret"],
      [['set-alert-webhook', 'mallory', '--url-env', 'AUDIT_SECRET_HOOK_URL', '--signing-secret-env', 'ALERT_WEBHOOK_SECRET'], { AUDIT_SECRET_HOOK_URL: 'https://hooks.example/x' }, "--signing-secret-env: ALERT_WEBHOOK_SECRET is one of the product's own settings"],
      [['set-alert-webhook', 'mallory', '--url-env', 'ALERT_SLACK_WEBHOOK_URL'], {}, "--url-env: ALERT_SLACK_WEBHOOK_URL is one of the product's own settings"],
    ];
    for (const [args, extra, says] of cases) expect(refusal(await runCli(args, { env: env(extra) }))).toContain(`error: ${says}`);
    expect(await findSourceByName(db, 'mallory')).toBeUndefined();
  });

  it('changes a base URL only with the key given again and checked live at the new URL', async () => {
    // The operator allows a second URL (the attacker stands in for a proxy that will not take the key).
    const moving = { ATLASSIAN_API_ALLOWED_BASE_URLS: attacker.url };
    write([{ name: 'moving', orgId: simulator.orgs[0].id, apiKey: { env: KEY_VAR } }]);
    succeeded(await apply(moving));
    const before = (await findSourceByName(db, 'moving'))!;
    expect(before.apiBaseUrl).toBe(simulator.url);

    write([{ name: 'moving', orgId: simulator.orgs[0].id, apiKey: { env: KEY_VAR }, apiBaseUrl: attacker.url }]);
    expect(refusal(await apply({ ...moving, [KEY_VAR]: undefined }))).toBe(
      `error: ${file}: sources[0] (moving): apiKey: changing apiBaseUrl needs the key again, checked live at the new URL: environment variable ${KEY_VAR} is not set or empty`,
    );
    expect(attacker.requests).toEqual([]);

    // With the key at hand, the new URL must accept it: this one refuses, so nothing changes.
    const checked = await apply(moving);
    expect(checked.status).toBe(1);
    expect(checked.stderr).toMatch(/^error: .*sources\[0\] \(moving\): apiKey: the Atlassian API rejected the key/);
    expect(attacker.requests).toEqual([{ url: expect.stringContaining(`/admin/v1/orgs/${simulator.orgs[0].id}/`), authorization: `Bearer ${simulator.orgs[0].keys.valid}` }]);
    attacker.requests.length = 0;
    expect((await findSourceByName(db, 'moving'))!.apiBaseUrl).toBe(simulator.url);
    await runCli(['remove', 'moving', '--purge', '--timeout', '1'], { env: env() });
  });

  it('has the worker refuse a stored base URL that is not allow-listed, as a failed source, sending nothing', async () => {
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const cli = (args: string[]) => runCli(args, { env: cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: simulator.orgs[0].keys.valid }) });
      succeeded(await cli(['add', 'hijacked', '--org-id', simulator.orgs[0].id, '--api-key-env', KEY_VAR, '--interval', '10']));
      const source = (await findSourceByName(db, 'hijacked'))!;
      // Behind the CLI's back, straight in the table.
      await updateSource(db, source.id, { apiBaseUrl: attacker.url });
      await cli(['poll-now', 'hijacked']);
      const status = await eventually(() => cli(['status', 'hijacked', '--json']), (run) => run.status === 3, 'the source to stop on its base URL');
      expect(JSON.parse(exitedWith(status, 3)).workflow.view.failureReason).toContain(`API base URL ${attacker.url} is not allow-listed`);
      // The operator is told through the alert routes too, with the reason and what to do.
      const alerts = await eventually(() => db.query<{ kind: string; message: string }>("SELECT kind, message FROM alerts WHERE source_id = $1 AND status = 'open'", [source.id]), (r) => r.rows.length > 0, 'the alert');
      expect(alerts.rows).toEqual([{ kind: 'credentials', message: expect.stringMatching(/is not allow-listed.*check the API base URL of the source/) }]);
      // A new key is not sent there either.
      expect(refusal(await cli(['rotate-key', 'hijacked', '--api-key-env', KEY_VAR]))).toBe(
        `error: API base URL ${attacker.url} is not allow-listed: the operator adds it to ATLASSIAN_API_ALLOWED_BASE_URLS: the key was not sent, nothing saved`,
      );
      await cli(['remove', 'hijacked', '--timeout', '5']);
      await eventually(async () => (await findSourceByName(db, 'hijacked'))?.status, (s) => s === 'removed', 'removal');
    });
  });
});
