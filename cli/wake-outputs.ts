import type { Client } from '@temporalio/client';
import type { Database } from '../store/database';
import { activeOutputsOfSource } from '../store/outputs';
import { startOutputWorkflow } from '../outputs/start-output-workflow';

/**
 * Events stored outside a page (a re-ingest) wake the active outputs that take their sources, as a page's insert does
 * (activities/wake-outputs.ts): an idle output would otherwise forward them only when its idle timer ends. An output
 * whose workflow is not running is started. Temporal is reached only when there is an output to wake.
 */
export async function wakeOutputsOfSources(db: Database, temporal: () => Promise<Client>, taskQueue: string, sourceIds: readonly string[]): Promise<void> {
  const outputs = new Map<string, { id: string; name: string }>();
  for (const sourceId of sourceIds) for (const output of await activeOutputsOfSource(db, sourceId)) outputs.set(output.id, output);
  if (outputs.size === 0) return;
  const client = await temporal();
  for (const output of outputs.values()) await startOutputWorkflow(client, output, taskQueue);
}
