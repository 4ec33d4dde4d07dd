import { stopOutputSignal } from '../../contract/output-messages';
import { withIdleSourceToReceiver } from '../../harness/http-output';
import { eventually, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';
import { outputWorkflow } from '../../workflows/output-workflow';
import { storeEvents } from './stored-rows';

// A run of the output's workflow continues-as-new after its last round. A stop (or a pause, or a resume) that came
// during that round used to be left behind with the old run: the new one forwarded on, and whoever waited for the
// workflow to end waited for ever (test/replay/record-histories.ts did).
test('a stop that comes during the last round of a run ends the workflow rather than being lost to continue-as-new', () =>
  withIdleSourceToReceiver({}, async ({ db, receiver, source, output }) => {
    await storeEvents(db, source, 20);
    // Refused for now: the round retries its send, and the stop arrives while it does.
    receiver.status = 503;
    await withWorker(testActivities(db), async ({ client, taskQueue }) => {
      // Every round is the last of its run.
      const handle = await client.workflow.start(outputWorkflow, { workflowId: `output-${output.name}`, taskQueue, args: [{ outputId: output.id, outputName: output.name, maxRoundsPerRun: 1 }] });
      await eventually(() => Promise.resolve(receiver.received.length), (n) => n >= 1, 15_000);
      await handle.signal(stopOutputSignal);
      receiver.status = 200;
      await eventually(async () => (await handle.describe()).status.name, (status) => status === 'COMPLETED', 20_000);
      expect(new Set(receiver.accepted().map((record) => record.id)).size).toBe(20);
    });
  }));
