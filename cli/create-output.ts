import type { Client } from '@temporalio/client';
import { OperatorError } from '../config/operator-error';
import { outputWorkflowId } from '../contract/ids';
import type { CredentialCipher } from '../store/credentials';
import type { Database } from '../store/database';
import { deleteOutput, findOutputByName, insertOutput, type NewOutput, type OutputRecord } from '../store/outputs';
import { findSourceByName } from '../store/sources';
import { describeCause } from './context';
import { startOutputWorkflow } from '../outputs/start-output-workflow';

/** The ids of the named sources, refused in one line when one does not exist (or was removed). */
export async function sourceIdsByName(db: Database, names: readonly string[], field: string): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const source = await findSourceByName(db, name);
    if (!source || source.status === 'removed') throw new OperatorError(`${field}: no source named "${name}"`);
    ids.push(source.id);
  }
  return ids;
}

/** Stores the output and starts its workflow; a workflow that cannot start leaves no output behind. */
export async function createOutput(db: Database, client: Client, cipher: CredentialCipher, taskQueue: string, output: NewOutput): Promise<OutputRecord> {
  if (await findOutputByName(db, output.name)) throw new OperatorError(`an output named ${output.name} exists already`);
  const created = await insertOutput(db, cipher, output);
  try {
    await startOutputWorkflow(client, created, taskQueue);
  } catch (err) {
    await deleteOutput(db, created.id);
    throw new OperatorError(`cannot start workflow ${outputWorkflowId(created.name)}: ${describeCause(err)}; nothing was added`);
  }
  return created;
}
