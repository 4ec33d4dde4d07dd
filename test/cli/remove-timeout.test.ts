import { randomUUID } from 'node:crypto';
import { findSourceByName, insertSource, newSourceKey } from '../../store/sources';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { sourceWorkflowId } from '../../contract/ids';
import { connectClient } from '../../harness/worker';
import { cipher, cliEnvironment, openTestDatabase } from './cli-test-setup';
import { runCli, succeeded } from './run-cli';

it('remove terminates a workflow that cannot stop gracefully in time, then marks the source removed', async () => {
  const db = openTestDatabase();
  const client = await connectClient();
  // No worker polls this queue, so the stop signal is never handled: the bounded wait must end in a terminate.
  const idleQueue = `cli-remove-${randomUUID()}`;
  try {
    const source = await insertSource(db, {
      name: 'stuck',
      organizationId: randomUUID(),
      ...newSourceKey(cipher, 'unused-key'),
      apiBaseUrl: 'http://127.0.0.1:9',
      pollIntervalSeconds: 60,
      silenceWindowSeconds: 3600,
      silenceAlertEnabled: true,
      backfillDays: 0,
      apiKeyExpiresAt: null,
    });
    await startSourceWorkflow(client, source, idleQueue);

    const started = Date.now();
    const out = succeeded(await runCli(['remove', 'stuck', '--timeout', '1'], { env: cliEnvironment(idleQueue, 'http://127.0.0.1:9') }));
    expect(out).toContain('removed stuck: workflow terminated after 1 s without a graceful stop');
    expect(Date.now() - started).toBeLessThan(30_000);
    const { status } = await client.workflow.getHandle(sourceWorkflowId('stuck')).describe();
    expect(status.name).toBe('TERMINATED');
    expect((await findSourceByName(db, 'stuck'))!.status).toBe('removed');
  } finally {
    await client.connection.close();
    await db.close();
  }
});
