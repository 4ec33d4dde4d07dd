import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import type { RunningSimulator } from '../../simulator/server';
import { withWorker } from '../../harness/worker';
import { useSimulatorAndDatabase } from '../../harness/fixtures';
import { cipher, cliEnvironment, eventsOf, KEY_VAR, openTestDatabase } from './cli-test-setup';
import { eventually, exitedWith, runCli, runNpx, succeeded } from './run-cli';

const HISTORY = 30;
const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

describe('the CLI fits a shell: npx, clean stdout, -o json everywhere, exit codes, durations with units', () => {
  let db: Database;
  let simulator: RunningSimulator;
  useSimulatorAndDatabase({ seed: 53, orgs: [{}], history: { count: HISTORY, spanMs: 3_600_000 } }, (fixture) => ({ simulator, db } = fixture), openTestDatabase);

  it('runs as `npx atlassian-audit` from the checkout: --version prints the package version alone on stdout', async () => {
    expect(succeeded(await runNpx(['--version']))).toBe(`${version}\n`);
    expect(succeeded(await runCli(['-V']))).toBe(`${version}\n`);
  });

  it('exits 2 for a command line it does not understand, and 0 for --help, which lists the exit codes', async () => {
    const unknownOption = await runCli(['list', '--bogus']);
    expect(unknownOption).toMatchObject({ status: 2, stdout: '', stderr: "error: unknown option '--bogus'\n" });
    expect((await runCli(['set-interval', 'acme'])).status).toBe(2);
    expect((await runCli(['list', '-o', 'yaml'])).stderr).toMatch(/^error: option '-o, --output <format>' argument 'yaml' is invalid/);
    expect((await runCli(['list', '-o', 'yaml'])).status).toBe(2);
    const help = succeeded(await runCli(['--help']));
    expect(help).toMatch(/^Exit codes:\n {2}0 {2}done.*\n {2}1 {2}operator error.*\n {2}2 {2}usage error.*\n {2}3 {2}status: the source failed.*\n {2}4 {2}status: the source is paused.*\n {2}5 {2}status: the source does not run/m);
    expect(succeeded(await runCli(['status', '--help']))).toMatch(/Exits 0 when the source runs, 3 when it failed, 4 when it is paused and 5 when it does not run/);
  });

  it('prints one JSON document per command with -o json, takes durations with units, and exits by the state of the source in status', async () => {
    const org = simulator.orgs[0];
    const key = simulator.addKey(org.id);
    await withWorker(createActivities({ db, cipher }), async ({ taskQueue }) => {
      const env = cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: key });
      const json = async (args: string[], exitCode = 0) => JSON.parse(exitedWith(await runCli(args, { env }), exitCode));

      // add, with an interval in minutes, answers with what it created.
      const added = await json(['add', 'shell', '--org-id', org.id, '--api-key-env', KEY_VAR, '--interval', '2m', '-o', 'json']);
      expect(added).toMatchObject({ action: 'add', source: 'shell', settings: { organizationId: org.id, pollIntervalSeconds: 120 }, workflowId: 'atlassian-source-shell' });
      expect(JSON.stringify(added)).not.toContain(key);
      expect((await findSourceByName(db, 'shell'))!.pollIntervalSeconds).toBe(120);
      await eventually(() => eventsOf(db, 'shell'), (n) => n === HISTORY, 'the backfill');

      // A listing through npx: stdout is the JSON alone, with no npm banner before it.
      const listed = JSON.parse(succeeded(await runNpx(['list', '-o', 'json'], { env }))) as Array<Record<string, unknown>>;
      expect(listed.find((row) => row.name === 'shell')).toMatchObject({ status: 'active', pollIntervalSeconds: 120, eventsIngested: HISTORY });

      // A running source: status exits 0.
      expect(await eventually(() => json(['status', 'shell', '-o', 'json']), (s) => s.workflow.view?.phase === 'waiting', 'the first wait')).toMatchObject({ health: 'ok' });

      // Changes answer with what changed: --json is the same as -o json, on either side of the command.
      expect(await json(['set-interval', 'shell', '1h', '--json'])).toEqual({ action: 'set-interval', source: 'shell', pollIntervalSeconds: { previous: 120, current: 3600 } });
      expect(await json(['-o', 'json', 'set-interval', 'shell', '90s'])).toMatchObject({ pollIntervalSeconds: { previous: 3600, current: 90 } });
      expect(await json(['pause', 'shell', '--reason', 'probe test', '-o', 'json'])).toEqual({ action: 'pause', source: 'shell', reason: 'probe test' });

      // Paused: status exits 4, as text too.
      const paused = await eventually(() => runCli(['status', 'shell'], { env }), (run) => run.status === 4, 'exit code 4 for the paused source');
      expect(paused.stdout).toMatch(/^paused:\s+yes \(probe test\)$/m);
      expect(await json(['status', 'shell', '-o', 'json'], 4)).toMatchObject({ health: 'paused', workflow: { view: { phase: 'paused' } } });
      expect(await json(['resume', 'shell', '-o', 'json'])).toEqual({ action: 'resume', source: 'shell' });

      // A key Atlassian rejects stops the source: status exits 3.
      simulator.expireKey(key);
      succeeded(await runCli(['poll-now', 'shell'], { env }));
      const failed = await eventually(() => runCli(['status', 'shell', '-o', 'json'], { env }), (run) => run.status === 3, 'exit code 3 for the failed source');
      expect(JSON.parse(failed.stdout)).toMatchObject({ health: 'failed', workflow: { view: { phase: 'failed' } } });

      // Removed: status exits 5; remove's timeout takes a unit too.
      expect(await json(['remove', 'shell', '--timeout', '30s', '-o', 'json'])).toEqual({ action: 'remove', source: 'shell', workflow: 'stopped' });
      expect(await json(['status', 'shell', '-o', 'json'], 5)).toMatchObject({ health: 'not-running', workflow: { running: false } });
      expect(await json(['remove', 'shell', '--purge', '-o', 'json'])).toEqual({ action: 'purge', source: 'shell', workflow: 'was not running' });
    });
  });
});
