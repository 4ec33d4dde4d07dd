import type { Database } from '../database';
import { eraseEvents } from './erase-events';
import { eraseAlerts, eraseDetections } from './erase-findings';
import { eraseQuarantined } from './erase-quarantined';
import type { ErasureHasher } from './erasure-keys';
import { findPerson } from './find-person';
import { earlierErasures, finishErasureRecord, startErasureRecord, updateErasureCounts, type EarlierErasure, type ErasureRequest } from './erasure-record';

export type { ErasureRequest };
import type { Redaction } from './redact';
import { Tally, type ErasureCounts, type ErasureScope } from './tally';

export interface ErasureOutcome {
  dryRun: boolean;
  /** The record of this run; absent in a dry run. */
  erasureId?: number;
  counts: ErasureCounts;
  redactedRows: number;
  /** What the person's account ids became. */
  pseudonyms: string[];
  /** The runs recorded before this one for the same person. */
  earlier: EarlierErasure[];
}

/**
 * Takes one person out of every table that holds them, or counts what that would take. Alerts first, then
 * detections, held events and events: each pass recognises its rows through the tables after it (see
 * erase-findings.ts), so a run cut short anywhere is finished by running it again.
 */
export async function erasePerson(db: Database, hasher: ErasureHasher, request: ErasureRequest): Promise<ErasureOutcome> {
  const { rows: sources } = await db.query<{ id: string; name: string }>('SELECT id, name FROM sources');
  const scope: ErasureScope = { sourceIds: request.sources?.map((s) => s.id) ?? null, sourceNames: new Map(sources.map((s) => [s.id, s.name])) };
  const person = await findPerson(db, request.key, scope.sourceIds);
  const redaction: Redaction = { person, pseudonym: hasher.pseudonym };
  const earlier = await earlierErasures(db, hasher.keyHashes(request.key));
  const pseudonyms = [...person.accountIds].map(hasher.pseudonym);
  const tally = new Tally(scope);
  const erasureId = request.dryRun ? undefined : await startErasureRecord(db, hasher, request, pseudonyms);
  for (const pass of [eraseAlerts, eraseDetections, eraseQuarantined, eraseEvents]) {
    await pass(db, redaction, scope, tally, request.dryRun);
    if (erasureId !== undefined) await updateErasureCounts(db, erasureId, tally);
  }
  if (erasureId !== undefined) await finishErasureRecord(db, erasureId, tally);
  return { dryRun: request.dryRun, erasureId, counts: tally.counts, redactedRows: tally.total(), pseudonyms, earlier };
}
