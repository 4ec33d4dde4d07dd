-- Outputs: where stored events are forwarded (an HTTP receiver, an S3 bucket, Splunk HEC), each in one format, each
-- with its own durable position per source. One long-lived workflow per output drives it (workflows/output-workflow.ts).
CREATE TABLE outputs (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The same rule as source names: it is part of a workflow id and of alert keys.
  name                  text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  kind                  text NOT NULL CHECK (kind IN ('http', 's3', 'splunk_hec')),
  format                text NOT NULL CHECK (format IN ('raw', 'ecs', 'ocsf')),
  -- What the kind needs that is no secret (an endpoint's shown form, a bucket, gzip on or off).
  settings              jsonb NOT NULL DEFAULT '{}',
  -- True: every source, the ones added later too; false: the sources in output_sources.
  all_sources           boolean NOT NULL DEFAULT true,
  batch_max_events      integer NOT NULL DEFAULT 1000 CHECK (batch_max_events BETWEEN 1 AND 100000),
  batch_max_bytes       integer NOT NULL DEFAULT 4194304 CHECK (batch_max_bytes BETWEEN 1024 AND 104857600),
  -- A batch smaller than the limits is not cut before its oldest event waited this long.
  batch_max_age_seconds integer NOT NULL DEFAULT 5 CHECK (batch_max_age_seconds BETWEEN 0 AND 86400),
  -- The lag past which a forwarding alert opens.
  lag_alert_seconds     integer NOT NULL DEFAULT 3600 CHECK (lag_alert_seconds BETWEEN 60 AND 2592000),
  status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'failed')),
  status_reason         text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- The sources an output takes when it does not take them all.
CREATE TABLE output_sources (
  output_id  uuid NOT NULL REFERENCES outputs (id) ON DELETE CASCADE,
  source_id  uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  PRIMARY KEY (output_id, source_id)
);
CREATE INDEX output_sources_by_source ON output_sources (source_id);

-- An output's secrets (a receiver URL, a signing secret, a token), each sealed with the credentials key and bound to
-- its output and name (store/credentials.ts, outputSecretContext): a value copied to another row does not open there.
CREATE TABLE output_secrets (
  output_id  uuid NOT NULL REFERENCES outputs (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (name ~ '^[a-z][a-zA-Z]{0,40}$'),
  sealed     bytea NOT NULL,
  PRIMARY KEY (output_id, name)
);

-- Where an output stands in a source: events with seq up to delivered_seq were acknowledged by the destination. A
-- batch's range is claimed (claimed_through_seq) before its first send and kept until acknowledged, so a retry after
-- any crash sends the very same range: the same object key for S3, the same records for HTTP.
CREATE TABLE output_positions (
  output_id            uuid NOT NULL REFERENCES outputs (id) ON DELETE CASCADE,
  source_id            uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  delivered_seq        bigint NOT NULL DEFAULT 0,
  claimed_through_seq  bigint CHECK (claimed_through_seq > delivered_seq),
  claimed_at           timestamptz,
  delivered_at         timestamptz,
  events_delivered     bigint NOT NULL DEFAULT 0,
  batches_delivered    bigint NOT NULL DEFAULT 0,
  -- The last failure to send, in one line without secrets or the receiver's reply; cleared by the next success.
  last_error           text,
  last_error_at        timestamptz,
  PRIMARY KEY (output_id, source_id)
);

-- Forwarding problems reach the operator as alerts of their own kind (opened per source and output).
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check,
  ADD CONSTRAINT alerts_kind_check CHECK (kind IN ('silence', 'credentials', 'key_expiry', 'detection', 'quarantine', 'forwarding'));
ALTER TABLE alert_destinations DROP CONSTRAINT alert_destinations_kinds_check,
  ADD CONSTRAINT alert_destinations_kinds_check CHECK (kinds <@ ARRAY['silence', 'credentials', 'key_expiry', 'detection', 'quarantine', 'forwarding']);
