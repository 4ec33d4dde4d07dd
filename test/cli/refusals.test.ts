import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database';
import { findSourceByName, insertSource, newSourceKey, type SourceRecord } from '../../store/sources';
import { freePort } from '../../scripts/stack/processes';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { startSimulator, type RunningSimulator } from '../../harness/simulator';
import { sourceWorkflowId } from '../../contract/ids';
import { connectClient } from '../../harness/worker';
import { cipher, cliEnvironment, KEY_VAR, openTestDatabase, rowsOf } from './cli-test-setup';
import { CliRun, exitedWith, refusal, runCli } from './run-cli';

/** No worker polls it: a workflow started here stays running and idle, and nothing the CLI starts makes progress. */
const IDLE_QUEUE = `cli-refusals-${randomUUID()}`;

interface Case {
  args: string[];
  env?: Record<string, string | undefined>;
  input?: string;
  /** The one error line, exactly or by pattern. */
  says: string | RegExp;
}

describe('the operator CLI refuses bad input in one line and writes nothing', () => {
  let db: Database;
  let simulator: RunningSimulator;
  let existing: SourceRecord;
  const runs: CliRun[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    db = openTestDatabase();
    simulator = await startSimulator({ seed: 7, orgs: [{}, { hasGuard: false }], history: { count: 10 } });
    // A source without a workflow, inserted behind the CLI's back: the duplicate to refuse and a target for commands.
    existing = await insertSource(db, {
      name: 'initech',
      organizationId: simulator.orgs[0].id,
      ...newSourceKey(cipher, simulator.orgs[0].keys.valid),
      apiBaseUrl: simulator.url,
      pollIntervalSeconds: 120,
      silenceWindowSeconds: 3600,
      silenceAlertEnabled: true,
      backfillDays: 7,
      apiKeyExpiresAt: null,
    });
    secrets.push(...simulator.orgs.flatMap((org) => Object.values(org.keys)));
  });
  afterAll(async () => {
    await simulator.close();
    await db.close();
  });

  async function expectRefusals(cases: Case[], parallel = 3): Promise<void> {
    const env = cliEnvironment(IDLE_QUEUE, simulator.url, { [KEY_VAR]: simulator.orgs[0].keys.valid });
    for (let i = 0; i < cases.length; i += parallel) {
      const batch = cases.slice(i, i + parallel);
      const results = await Promise.all(batch.map((c) => runCli(c.args, { env: { ...env, ...c.env }, input: c.input })));
      results.forEach((run, j) => {
        runs.push(run);
        for (const secret of secrets) expect(run.stdout + run.stderr).not.toContain(secret);
        const line = refusal(run);
        if (typeof batch[j].says === 'string') expect(line).toBe(batch[j].says);
        else expect(line).toMatch(batch[j].says);
      });
    }
  }

  it('refuses a bad add before anything is stored', async () => {
    const org = simulator.orgs[0];
    const add = (...extra: string[]) => ['add', 'newsrc', '--org-id', org.id, '--api-key-env', KEY_VAR, ...extra];
    const closedPort = await freePort();
    const expired = simulator.addKey(org.id, 'expired');
    const noScope = simulator.addKey(org.id, 'missing-scope');
    secrets.push(expired, noScope);

    await expectRefusals([
      { args: ['add', 'newsrc', '--org-id', 'not-a-uuid', '--api-key-env', KEY_VAR], says: /^error: organization id "not-a-uuid" is not a UUID/ },
      { args: ['add', 'New Source', '--org-id', org.id, '--api-key-env', KEY_VAR], says: /^error: source name "New Source" is invalid/ },
      { args: add('--interval', '5'), says: 'error: interval must be between 10 s and 86400 s (24 h), got 5 s' },
      { args: add('--interval', 'soon'), says: 'error: interval "soon" is not a duration: write it like 90s, 5m, 24h, 2d or a number of seconds' },
      { args: add('--interval', '90000'), says: /^error: interval must be between 10 s and 86400 s/ },
      { args: add('--backfill-days', '181'), says: /^error: backfill must be a whole number of days from 0 to 180/ },
      { args: add('--silence-window', '5m'), says: /^error: silence window must be between 15m .* and 30d, got 5m$/ },
      { args: add('--silence-window', 'forever'), says: /^error: silence window "forever" is not a duration/ },
      { args: add('--key-expires', '2020-01-01'), says: /^error: key expiry 2020-01-01 is not in the future/ },
      { args: add('--key-expires', '2031-02-30'), says: 'error: key expiry "2031-02-30" is not a date: write it as YYYY-MM-DD' },
      { args: add('--api-base-url', 'ftp://example.com'), says: 'error: API base URL must be https, got ftp:' },
      // There is no flag for the key itself: argv is readable by every user of the machine.
      { args: ['add', 'newsrc', '--org-id', org.id, '--api-key', org.keys.valid], says: /^error: unknown option '--api-key'/ },
      { args: add(), env: { [KEY_VAR]: undefined }, says: `error: environment variable ${KEY_VAR} is not set` },
      { args: ['add', 'newsrc', '--org-id', org.id], input: '', says: /^error: no API key given: pipe it on stdin/ },
      { args: add(), env: { CREDENTIALS_KEY: undefined }, says: /^error: CREDENTIALS_KEY is not set/ },
      { args: ['add', 'initech', '--org-id', org.id, '--api-key-env', KEY_VAR], says: 'error: a source named "initech" already exists (choose another name)' },
      {
        args: add(),
        env: { [KEY_VAR]: expired },
        says: /^error: the Atlassian API rejected the key for organization \S+ \(Atlassian events-stream request returned 401 ADMIN-401-1: .*Likely cause: The API key is invalid, expired or revoked .*\): nothing saved$/,
      },
      { args: add(), env: { [KEY_VAR]: noScope }, says: /Likely cause: The API key lacks the read:events:admin scope/ },
      { args: ['add', 'newsrc', '--org-id', simulator.orgs[1].id], input: `${simulator.orgs[1].keys.valid}\n`, says: /returned 403 ADMIN-403-3.*Atlassian Guard/ },
      { args: add().map((a) => (a === org.id ? randomUUID() : a)), says: /^error: organization \S+ was not found at .*check --org-id: nothing saved$/ },
      {
        args: add(),
        env: { TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` },
        says: `error: cannot reach Temporal at 127.0.0.1:${closedPort} (TEMPORAL_ADDRESS): connect ECONNREFUSED 127.0.0.1:${closedPort}`,
      },
      {
        args: add(),
        env: { DATABASE_URL: `postgres://audit:s3cret-pw@127.0.0.1:${closedPort}/audit` },
        says: `error: cannot reach PostgreSQL at 127.0.0.1:${closedPort}/audit (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${closedPort}`,
      },
    ]);
    expect(await rowsOf(db, 'newsrc')).toEqual({ sources: 0, checkpoints: 0, events: 0 });
    expect(await rowsOf(db, 'initech')).toEqual({ sources: 1, checkpoints: 1, events: 0 });
    for (const run of runs) expect(run.stderr).not.toContain('s3cret-pw');
  });

  it('deletes the new source again when its workflow cannot start', async () => {
    const client = await connectClient();
    // A workflow already holds the id the new source's workflow would get.
    const squatter = await startSourceWorkflow(client, { id: randomUUID(), name: 'taken', organizationId: simulator.orgs[0].id }, IDLE_QUEUE);
    try {
      await expectRefusals([
        {
          args: ['add', 'taken', '--org-id', simulator.orgs[0].id, '--api-key-env', KEY_VAR],
          says: /^error: cannot start workflow atlassian-source-taken: .*already started.*; the source was not saved$/i,
        },
      ]);
      expect(await rowsOf(db, 'taken')).toEqual({ sources: 0, checkpoints: 0, events: 0 });
    } finally {
      await squatter.terminate('test cleanup');
      await client.connection.close();
    }
  });

  it('refuses commands on unknown sources, bad values, and sources without a running workflow', async () => {
    const unknown = /^error: no source named "ghost": `atlassian-audit list` shows the sources$/;
    await expectRefusals([
      { args: ['status', 'ghost'], says: unknown },
      { args: ['pause', 'ghost'], says: unknown },
      { args: ['resume', 'ghost'], says: unknown },
      { args: ['poll-now', 'ghost'], says: unknown },
      { args: ['set-interval', 'ghost', '60'], says: unknown },
      { args: ['rotate-key', 'ghost', '--api-key-env', KEY_VAR], says: unknown },
      { args: ['remove', 'ghost'], says: unknown },
      { args: ['set-interval', 'initech', '100000'], says: /^error: interval must be between 10 s and 86400 s/ },
      { args: ['remove', 'initech', '--timeout', 'abc'], says: 'error: --timeout "abc" is not a duration: write it like 90s, 5m, 24h, 2d or a number of seconds' },
      { args: ['remove', 'initech', '--timeout', '2h'], says: 'error: --timeout must be between 1s and 1h, got 2h' },
      { args: ['pause', 'initech'], says: 'error: source "initech" has no running workflow (none was started): nothing changed' },
      { args: ['set-interval', 'initech', '300'], says: /^error: source "initech" has no running workflow/ },
      { args: ['rotate-key', 'initech', '--api-key-env', KEY_VAR], says: /^error: source "initech" has no running workflow/ },
      { args: ['status', 'Bad Name'], says: /^error: source name "Bad Name" is invalid/ },
      { args: ['pause', 'initech'], env: { TEMPORAL_NAMESPACE: 'no-such-namespace' }, says: /^error: Temporal at \S+ has no namespace "no-such-namespace" \(TEMPORAL_NAMESPACE\)$/ },
    ]);
    const after = (await findSourceByName(db, 'initech'))!;
    expect(after).toMatchObject({ status: 'active', pollIntervalSeconds: 120 });
    expect(after.apiKeyCiphertext.equals(existing.apiKeyCiphertext)).toBe(true);

    // Without a workflow, status still shows what PostgreSQL knows, says the workflow is not running, and exits 5.
    const env = cliEnvironment(IDLE_QUEUE, simulator.url);
    const shown = exitedWith(await runCli(['status', 'initech'], { env }), 5);
    expect(shown).toMatch(/^workflow:\s+atlassian-source-initech not running \(never started\)$/m);
    expect(shown).toMatch(/^note:\s+the workflow is not running/m);
    expect(shown).toMatch(/^interval:\s+120 s$/m);
    const json = JSON.parse(exitedWith(await runCli(['status', 'initech', '--json'], { env }), 5));
    expect(json.health).toBe('not-running');
    expect(json.workflow).toEqual({ id: sourceWorkflowId('initech'), executionStatus: null, running: false, view: null, note: expect.any(String) });
  });

});
