import type { Client } from '@temporalio/client';
import { sourceWorkflowId } from '../contract/ids';
import { OperatorError } from '../config/operator-error';
import { enablePack } from '../detections/store';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { deleteSource, insertSource, newSourceKey, type NewSource, type SourceRecord } from '../store/sources';
import { describeCause } from './context';
import { startSourceWorkflow } from './start-source-workflow';

export type SourceSettings = Omit<NewSource, 'id' | 'apiKeyCiphertext'>;

/**
 * Creates a source whose key was checked: its row with the sealed key and its packs, then its workflow, which does
 * everything else. A source without a workflow would look configured but never poll, so a failed start leaves
 * nothing behind.
 */
export async function createSource(
  db: Database,
  client: Client,
  cipher: CredentialCipher,
  taskQueue: string,
  settings: SourceSettings,
  apiKey: string,
  packIds: readonly string[],
  /** What else must be in place before the first page (the file's webhooks, for `apply`). */
  prepare: (source: SourceRecord) => Promise<void> = async () => undefined,
): Promise<SourceRecord> {
  let source: SourceRecord;
  try {
    source = await insertSource(db, { ...settings, ...newSourceKey(cipher, apiKey) });
  } catch (err) {
    // Two operators adding the same name at once: the second loses on the UNIQUE constraint.
    if ((err as { code?: string }).code === '23505') throw new OperatorError(`a source named "${settings.name}" already exists (choose another name)`);
    throw err;
  }
  // Before the workflow starts, so the backfill's first page is already evaluated and alerted on.
  await undoOnFailure(db, source, 'cannot set up', async () => {
    for (const packId of packIds) await enablePack(db, source.id, packId);
    await prepare(source);
  });
  await undoOnFailure(db, source, `cannot start workflow ${sourceWorkflowId(source.name)}`, () => startSourceWorkflow(client, source, taskQueue));
  return source;
}

async function undoOnFailure(db: Database, source: SourceRecord, what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (err) {
    const cause = `${what}: ${describeCause(err)}`;
    try {
      await deleteSource(db, source.id);
    } catch (cleanup) {
      throw new OperatorError(`${cause}; deleting the new source failed too (${describeCause(cleanup)}): \`remove ${source.name} --purge\` deletes it`);
    }
    throw new OperatorError(`${cause}; the source was not saved`);
  }
}
