-- No content stops a source: an event PostgreSQL cannot take as sent is stored made storable, with its exact text
-- here (JSON text escapes NUL and lone surrogates, which text and jsonb refuse as characters). Null when nothing changed.
ALTER TABLE events ADD COLUMN original text;

-- Events held back, with their exact text and why, until `atlassian-audit quarantine reingest` stores them. Written in
-- the page's transaction, so the page commits and the checkpoint advances.
CREATE TABLE quarantined_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_id       uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  -- Cut to 256 characters; null when the event had no usable id.
  event_id        text,
  -- A bounded code (schema, id_too_long, implausible_time, duplicate_id, database) and one line for the operator.
  reason          text NOT NULL,
  detail          text NOT NULL,
  raw             text NOT NULL,
  -- A retried page or a re-read window holds the same events again: each is held once.
  raw_sha256      text NOT NULL,
  quarantined_at  timestamptz NOT NULL DEFAULT now(),
  reingested_at   timestamptz,
  UNIQUE (source_id, raw_sha256)
);
CREATE INDEX quarantined_events_held ON quarantined_events (source_id) WHERE reingested_at IS NULL;

-- The operator hears of held events, and of a page that hands back its own cursor, through alerts of their own kind.
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check,
  ADD CONSTRAINT alerts_kind_check CHECK (kind IN ('silence', 'credentials', 'key_expiry', 'detection', 'quarantine'));
ALTER TABLE alert_destinations DROP CONSTRAINT alert_destinations_kinds_check,
  ADD CONSTRAINT alert_destinations_kinds_check CHECK (kinds <@ ARRAY['silence', 'credentials', 'key_expiry', 'detection', 'quarantine']);

-- A processedAt in the future became the restart point before this release: a cursor reset would have asked the API
-- for events from that future. Such checkpoints restart from the newest stored processedAt that is not ahead of now.
UPDATE checkpoints c
   SET newest_processed_at = (SELECT max(e.processed_at) FROM events e WHERE e.source_id = c.source_id AND e.processed_at <= now() + interval '5 minutes')
 WHERE c.newest_processed_at > now() + interval '5 minutes';
