import { outputStatusQuery } from '../../contract/output-messages';
import { startOutputWorkflow } from '../../outputs/start-output-workflow';
import { HttpReceiver } from '../../harness/http-receiver';
import { createIdleSource, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import type { Database } from '../../store/database';
import { quarantineEvents } from '../../store/quarantine';
import type { SourceRecord } from '../../store/sources';
import { cipher, cliEnvironment, openTestDatabase } from '../cli/cli-test-setup';
import { eventually, succeeded, runCli } from '../cli/run-cli';
import { createHttpOutput } from '../../harness/http-output';
import { positionOf } from './output-kit';

// Events that `quarantine reingest` stores wake the outputs that take their source, as a page's insert does: an idle
// output waits 5 minutes on its own timer, so an event that arrives within seconds was woken for.

/** A NUL in a name, which an older release held back and the current rules store; of this month, which the source has. */
async function heldEventOf(db: Database, source: SourceRecord, eventId: string): Promise<void> {
  const now = new Date().toISOString();
  const raw = JSON.stringify({
    id: eventId,
    type: 'events',
    attributes: { time: now, processedAt: now, action: 'user_login', actor: { id: 'held-actor', name: 'mallory\u0000' } },
  });
  await db.withTransaction((tx) => quarantineEvents(tx, source.id, [{ eventId, reason: 'database', detail: 'as an older release held it', raw }]));
}

describe('quarantine reingest and outputs', () => {
  let db: Database;
  let receiver: HttpReceiver;
  beforeAll(async () => {
    db = openTestDatabase();
    receiver = await HttpReceiver.start();
  });
  afterAll(async () => {
    await db.close();
    await receiver.close();
  });

  it('wakes an idle output: the re-ingested event is forwarded within seconds, not at its idle timer', async () => {
    const source = await createIdleSource(db, cipher);
    await heldEventOf(db, source, `held-${source.name}`);
    const output = await createHttpOutput(db, receiver, { sourceIds: [source.id] });
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      const handle = await startOutputWorkflow(client, output, taskQueue);
      // Its first round found nothing: it now waits on its idle timer.
      await eventually(() => handle.query(outputStatusQuery), (view) => view.lastRoundAt !== null, 'the output idle after its first round');

      const run = await runCli(['quarantine', 'reingest', '--source', source.name], { env: cliEnvironment(taskQueue, 'http://127.0.0.1:9') });
      expect(succeeded(run)).toMatch(/: stored \(/);
      expect(run.stderr).toBe('');
      const arrived = await eventually(
        () => Promise.resolve(receiver.accepted().filter((record) => record.id === `held-${source.name}`)),
        (records) => records.length > 0,
        'the re-ingested event at the receiver',
        20_000,
      );
      expect(arrived[0]).toMatchObject({ p_source_label: source.name });
      await eventually(async () => (await positionOf(db, output.id, source.id)).delivered, (delivered) => delivered > 0, 'the position past the event');
      await handle.terminate('test done');
    });
  });

  it('stores the event when Temporal cannot be reached, and says in a note that the outputs forward it later', async () => {
    const source = await createIdleSource(db, cipher);
    await heldEventOf(db, source, `held-${source.name}`);
    await createHttpOutput(db, receiver, { sourceIds: [source.id] });

    const run = await runCli(['quarantine', 'reingest', '--source', source.name], { env: cliEnvironment('no-worker-needed', 'http://127.0.0.1:9', { TEMPORAL_ADDRESS: '127.0.0.1:9' }) });
    expect(succeeded(run)).toMatch(/: stored \(/);
    expect(run.stderr).toMatch(/^note: could not wake the outputs and the alert dispatcher \(cannot reach Temporal at 127\.0\.0\.1:9 .*\); they forward the events and send the notices at their next round\n$/);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE source_id = $1', [source.id]);
    expect(rows[0].n).toBe(1);
  });
});
