import type { Database } from '../database';
import type { ErasureKey } from './erasure-keys';
import { emptyPerson, isPerson, learnFrom, type IdentityEntry, type Person } from './person';

/** A person found by e-mail gives account ids, which give other e-mails...: a few rounds reach everyone they are. */
const MAX_ROUNDS = 4;
/** Distinct identities per round: far above what one person has, and a bound on what a hostile store can make us hold. */
const MAX_IDENTITIES = 1_000;

/**
 * Whether `events` rows `e` may concern the person ($2: account ids, $3: lower-case e-mails). Written as expressions
 * an index can serve (see migration 015): without one, each use reads the table once.
 */
export const MAY_CONCERN_PERSON = `(e.actor_id = ANY($2::text[]) OR lowercase_all(e.p_any_emails) && $3::text[])`;

/**
 * Everything the person is known by in the events the operator's key leads to: their account ids, e-mails (in every
 * spelling seen) and names, from the actor, on-behalf-of, context and container of those events.
 */
export async function findPerson(db: Database, key: ErasureKey, sourceIds: string[] | null): Promise<Person> {
  const person = emptyPerson();
  if (key.kind === 'account_id') person.accountIds.add(key.value);
  else person.emails.add(key.value);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { rows } = await db.query<{ entry: IdentityEntry }>(
      `WITH candidates AS (
         SELECT e.actor_id, e.actor_name, e.actor_email, e.raw -> 'attributes' AS a FROM events e
          WHERE ($1::uuid[] IS NULL OR e.source_id = ANY($1)) AND ${MAY_CONCERN_PERSON}
       ), entries AS (
         SELECT jsonb_build_object('id', actor_id, 'name', actor_name, 'email', actor_email) AS entry FROM candidates
         UNION ALL SELECT a #> '{actor,onBehalfOf}' FROM candidates
         UNION ALL SELECT c FROM candidates, jsonb_array_elements(CASE jsonb_typeof(a -> 'context') WHEN 'array' THEN a -> 'context' ELSE '[]' END) c
         UNION ALL SELECT c FROM candidates, jsonb_array_elements(CASE jsonb_typeof(a -> 'container') WHEN 'array' THEN a -> 'container' ELSE '[]' END) c
       )
       SELECT DISTINCT entry FROM entries
        WHERE jsonb_typeof(entry) = 'object'
          AND (entry ->> 'id' = ANY($2) OR lower(btrim(COALESCE(entry ->> 'email', entry #>> '{attributes,email}'))) = ANY($3))
        LIMIT ${MAX_IDENTITIES}`,
      [sourceIds, [...person.accountIds], [...person.emails]],
    );
    let grew = false;
    for (const { entry } of rows) if (isPerson(entry, person)) grew = learnFrom(entry, person) || grew;
    if (!grew) break;
  }
  return person;
}
