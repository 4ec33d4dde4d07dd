import { apiKeyContext } from '../../store/credentials';
import { createActivities } from '../../activities';
import type { Database } from '../../store/database';
import { findSourceByName } from '../../store/sources';
import type { RunningSimulator } from '../../simulator/server';
import { sourceWorkflowId } from '../../contract/ids';
import { withWorker } from '../../harness/worker';
import { cipher, cliEnvironment, eventsOf, KEY_VAR, openTestDatabase, rowsOf } from './cli-test-setup';
import { CliRun, eventually, exitedWith, refusal, runCli, succeeded } from './run-cli';
import { useSimulatorAndDatabase } from '../../harness/fixtures';

const HISTORY = 120;

describe('the operator CLI drives a source through its life', () => {
  let db: Database;
  let simulator: RunningSimulator;
  useSimulatorAndDatabase({ seed: 41, orgs: [{}], history: { count: HISTORY, spanMs: 2 * 24 * 3_600_000 } }, (fixture) => ({ simulator, db } = fixture), openTestDatabase);

  it('adds, lists, shows, pauses, resumes, re-times, polls, rotates the key of and removes a source', async () => {
    const org = simulator.orgs[0];
    const firstKey = org.keys.valid;
    const secondKey = simulator.addKey(org.id);
    const runs: CliRun[] = [];

    await withWorker(createActivities({ db, cipher }), async ({ client, taskQueue }) => {
      const env = cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: firstKey });
      const cli = async (args: string[], input?: string) => {
        const run = await runCli(args, { env, input });
        runs.push(run);
        return run;
      };
      // status exits 0 for a running source, 4 for a paused one (a probe's answer); its JSON says the same.
      const statusJson = async (exitCode = 0) => JSON.parse(exitedWith(await cli(['status', 'acme', '--json']), exitCode));
      const pollNowAndWaitFor = async (expected: number, what: string) => {
        succeeded(await cli(['poll-now', 'acme']));
        await eventually(() => eventsOf(db, 'acme'), (n) => n === expected, what);
      };

      // add: the backfill brings the simulated history into PostgreSQL.
      const added = succeeded(
        await cli(['add', 'acme', '--org-id', org.id, '--api-key-env', KEY_VAR, '--silence-window', '2h', '--key-expires', futureDate(30)]),
      );
      expect(added).toContain('added source acme');
      await eventually(() => eventsOf(db, 'acme'), (n) => n === HISTORY, 'the backfill');
      const stored = (await findSourceByName(db, 'acme'))!;
      expect(stored).toMatchObject({ organizationId: org.id, pollIntervalSeconds: 60, silenceWindowSeconds: 7200, backfillDays: 7, apiBaseUrl: simulator.url });
      expect(cipher.open(stored.apiKeyCiphertext, apiKeyContext(stored.id))).toBe(firstKey);
      expect(stored.apiKeyCiphertext.includes(Buffer.from(firstKey))).toBe(false);

      // list, as a table and as JSON.
      const table = succeeded(await cli(['list']));
      expect(table.split('\n')[0]).toMatch(/^NAME\s+ORG\s+STATUS\s+INTERVAL\s+EVENTS\s+NEWEST EVENT\s+LAST POLL$/);
      expect(table).toMatch(new RegExp(`^acme\\s+${org.id}\\s+active\\s+60s\\s+${HISTORY}\\s+\\d{4}-`, 'm'));
      const listed = JSON.parse(succeeded(await cli(['list', '--json']))) as Array<Record<string, unknown>>;
      expect(listed.find((row) => row.name === 'acme')).toMatchObject({ organizationId: org.id, status: 'active', pollIntervalSeconds: 60, eventsIngested: HISTORY });

      // status merges PostgreSQL with the workflow's own view; the workflow may still be publishing its first wait.
      const status = await eventually(statusJson, (s) => s.workflow.view?.phase === 'waiting', 'the first wait');
      expect(status.workflow).toMatchObject({ id: sourceWorkflowId('acme'), running: true, view: { eventsIngested: HISTORY, backfill: { completed: true } } });
      expect(status.checkpoint).toMatchObject({ eventsIngested: HISTORY });
      expect(status.source).not.toHaveProperty('apiKeyCiphertext');
      const shown = succeeded(await cli(['status', 'acme']));
      expect(shown).toMatch(/^phase:\s+waiting$/m);
      expect(shown).toMatch(new RegExp(`^events ingested:\\s+${HISTORY}$`, 'm'));
      expect(shown).toMatch(/^backfill:\s+completed /m);
      expect(shown).toMatch(/^last poll:\s+\S+ ok, /m);

      // set-interval: refused locally when out of range, else applied by the workflow and stored.
      expect(refusal(await cli(['set-interval', 'acme', '5']))).toBe('error: interval must be between 10 s and 86400 s (24 h), got 5 s');
      expect(succeeded(await cli(['set-interval', 'acme', '3600']))).toContain('60 s -> 3600 s');
      expect((await findSourceByName(db, 'acme'))!.pollIntervalSeconds).toBe(3600);
      expect((await statusJson()).workflow.view.pollIntervalSeconds).toBe(3600);

      // poll-now: with an hour between polls, only the signal can bring new events in this soon.
      simulator.addEvents(org.id, { count: 5 });
      await pollNowAndWaitFor(HISTORY + 5, 'the polled events');

      // pause keeps events out until resume.
      succeeded(await cli(['pause', 'acme', '--reason', 'maintenance window']));
      await eventually(() => findSourceByName(db, 'acme'), (s) => s?.status === 'paused', 'the paused status');
      expect((await findSourceByName(db, 'acme'))!.statusReason).toBe('maintenance window');
      simulator.addEvents(org.id, { count: 3 });
      succeeded(await cli(['poll-now', 'acme']));
      const paused = await statusJson(4);
      expect(paused.health).toBe('paused');
      expect(paused.workflow.view).toMatchObject({ phase: 'paused', paused: true, pauseReason: 'maintenance window' });
      expect(await eventsOf(db, 'acme')).toBe(HISTORY + 5);
      succeeded(await cli(['resume', 'acme']));
      await eventually(() => eventsOf(db, 'acme'), (n) => n === HISTORY + 8, 'the events held back by the pause');
      await eventually(() => findSourceByName(db, 'acme'), (s) => s?.status === 'active', 'the active status');

      // rotate-key: a rejected key changes nothing; an accepted one (here from stdin) is stored and used.
      simulator.expireKey(simulator.addKey(org.id, 'valid', 'soon-expired-key-0001'));
      const rejected = refusal(await cli(['rotate-key', 'acme'], 'soon-expired-key-0001\n'));
      expect(rejected).toMatch(/^error: the Atlassian API rejected the key for organization .*returned 401.*Likely cause: .*expired.*: nothing saved$/);
      expect(cipher.open((await findSourceByName(db, 'acme'))!.apiKeyCiphertext, apiKeyContext(stored.id))).toBe(firstKey);
      succeeded(await cli(['rotate-key', 'acme', '--key-expires', futureDate(60)], `${secondKey}\n`));
      const rotated = (await findSourceByName(db, 'acme'))!;
      expect(cipher.open(rotated.apiKeyCiphertext, apiKeyContext(rotated.id))).toBe(secondKey);
      expect(rotated.apiKeyExpiresAt?.toISOString().slice(0, 10)).toBe(futureDate(60));
      simulator.expireKey(firstKey);
      simulator.addEvents(org.id, { count: 2 });
      await pollNowAndWaitFor(HISTORY + 10, 'events read with the rotated key');

      // remove: a graceful stop; the source is kept as removed, with its events.
      expect(succeeded(await cli(['remove', 'acme']))).toContain('removed acme: workflow stopped');
      expect((await findSourceByName(db, 'acme'))!.status).toBe('removed');
      expect((await client.workflow.getHandle(sourceWorkflowId('acme')).describe()).status.name).toBe('COMPLETED');
      expect(await eventsOf(db, 'acme')).toBe(HISTORY + 10);
      expect(exitedWith(await cli(['status', 'acme']), 5)).toMatch(/^workflow:\s+atlassian-source-acme not running \(completed\)$/m);
      expect(refusal(await cli(['pause', 'acme']))).toMatch(/^error: source "acme" was removed/);
      expect(refusal(await cli(['remove', 'acme']))).toMatch(/^error: source "acme" is already removed/);

      // remove --purge deletes the source with its checkpoint and events.
      expect(succeeded(await cli(['remove', 'acme', '--purge']))).toContain('purged acme');
      expect(await rowsOf(db, 'acme')).toEqual({ sources: 0, checkpoints: 0, events: 0 });

      // The key travelled in an environment variable and on stdin only: not in argv, output, or workflow history.
      const history = JSON.stringify(await client.workflow.getHandle(sourceWorkflowId('acme')).fetchHistory());
      for (const key of [firstKey, secondKey]) {
        expect(history).not.toContain(key);
        for (const run of runs) {
          expect(run.args.join(' ')).not.toContain(key);
          expect(run.stdout + run.stderr).not.toContain(key);
        }
      }
    });
  });

  it('purges a running source: the workflow stops and the events go', async () => {
    const org = simulator.orgs[0];
    await withWorker(createActivities({ db, cipher }), async ({ client, taskQueue }) => {
      // The documented switch for tests and demos admits a silence window of seconds.
      const env = cliEnvironment(taskQueue, simulator.url, { [KEY_VAR]: simulator.addKey(org.id), AUDIT_ALLOW_SHORT_WINDOWS: '1' });
      const args = ['add', 'globex', '--org-id', org.id, '--api-key-env', KEY_VAR, '--no-silence-alert', '--backfill-days', '1', '--silence-window', '30s'];
      succeeded(await runCli(args, { env }));
      await eventually(() => eventsOf(db, 'globex'), (n) => n > 0, 'the backfill');
      expect(await findSourceByName(db, 'globex')).toMatchObject({ silenceAlertEnabled: false, silenceWindowSeconds: 30, backfillDays: 1 });

      expect(succeeded(await runCli(['remove', 'globex', '--purge'], { env }))).toContain('purged globex: workflow stopped');
      expect(await rowsOf(db, 'globex')).toEqual({ sources: 0, checkpoints: 0, events: 0 });
      expect((await client.workflow.getHandle(sourceWorkflowId('globex')).describe()).status.name).toBe('COMPLETED');
    });
  });
});

function futureDate(days: number): string {
  return new Date(Date.now() + days * 24 * 3_600_000).toISOString().slice(0, 10);
}
