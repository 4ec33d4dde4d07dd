import type { PoolClient } from 'pg';
import type { Database } from '../database';

export type Queryable = Pick<PoolClient, 'query'>;

/** A dry run only reads; a real pass reads and writes in one transaction, locking the rows it reads. */
export function runPass(db: Database, dryRun: boolean, work: (q: Queryable) => Promise<void>): Promise<void> {
  return dryRun ? work(db.pool) : db.withTransaction(work);
}

/** `FOR UPDATE` in a real pass: no other writer changes a row between its read and its redaction. */
export const lockUnless = (dryRun: boolean, clause = 'FOR UPDATE') => (dryRun ? '' : clause);
