-- One row per `erase` run that changed, or could have changed, something: who asked, when, and what was redacted.
-- The person is named only by a keyed hash of what the operator gave (their account id or e-mail): the record must
-- not keep the personal data it certifies is gone, yet a second request for the same person must find the first.
CREATE TABLE erasures (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key_kind      text NOT NULL CHECK (key_kind IN ('account_id', 'email')),
  -- HMAC-SHA256 under a key derived from CREDENTIALS_KEY (store/erasure/erasure-keys.ts), hex.
  key_hash      text NOT NULL,
  -- Which credentials key made key_hash and the pseudonyms: after a key rotation, older records are found by the old key.
  key_id        text NOT NULL,
  requested_by  text NOT NULL,
  reason        text,
  -- The sources the run was limited to, by name; NULL: every source.
  sources       text[],
  -- What replaced the person's account ids in the rows it redacted.
  pseudonyms    text[] NOT NULL DEFAULT '{}',
  -- table -> source name -> rows redacted.
  counts        jsonb NOT NULL DEFAULT '{}',
  redacted_rows bigint NOT NULL DEFAULT 0,
  started_at    timestamptz NOT NULL DEFAULT now(),
  -- NULL while it runs, or when it was interrupted: running it again finishes the work.
  finished_at   timestamptz
);
CREATE INDEX erasures_key ON erasures (key_hash);

-- A person is found by account id as actor and by e-mail anywhere in the event, in any case (p_any_emails keeps them
-- as sent). No index serves it on purpose: erasures are rare and every insert would pay for one (bench:erase measures
-- both sides); an index on events (actor_id) and a GIN on lowercase_all(p_any_emails) would.
CREATE FUNCTION lowercase_all(items text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT array_agg(lower(item)) FROM unnest(items) AS item);
