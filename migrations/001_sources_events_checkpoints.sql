-- A log source: one Atlassian organization polled by one Temporal workflow.
CREATE TABLE sources (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                    text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  organization_id         text NOT NULL,
  -- AES-256-GCM under CREDENTIALS_KEY: 12-byte IV, 16-byte tag, ciphertext. Never stored or logged in clear.
  api_key_ciphertext      bytea NOT NULL,
  api_base_url            text NOT NULL,
  poll_interval_seconds   integer NOT NULL CHECK (poll_interval_seconds BETWEEN 10 AND 86400),
  silence_window_seconds  integer NOT NULL CHECK (silence_window_seconds > 0),
  silence_alert_enabled   boolean NOT NULL DEFAULT true,
  backfill_days           integer NOT NULL DEFAULT 7 CHECK (backfill_days BETWEEN 0 AND 180),
  api_key_expires_at      timestamptz,
  status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'failed', 'removed')),
  status_reason           text,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);

-- Audit events, one row per (source, Atlassian event id), with Panther-style normalized p_ fields.
CREATE TABLE events (
  source_id           uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  event_id            text NOT NULL,
  event_time          timestamptz NOT NULL,
  processed_at        timestamptz,
  action              text NOT NULL,
  actor_id            text NOT NULL,
  actor_name          text,
  actor_email         text,
  ip                  text,
  location            jsonb,
  p_log_type          text NOT NULL DEFAULT 'Atlassian.Audit',
  p_event_time        timestamptz NOT NULL,
  p_parse_time        timestamptz NOT NULL DEFAULT now(),
  p_source_id         uuid GENERATED ALWAYS AS (source_id) STORED,
  p_source_label      text NOT NULL,
  p_row_id            uuid NOT NULL DEFAULT gen_random_uuid(),
  p_any_ip_addresses  text[] NOT NULL DEFAULT '{}',
  p_any_emails        text[] NOT NULL DEFAULT '{}',
  p_any_usernames     text[] NOT NULL DEFAULT '{}',
  raw                 jsonb NOT NULL,
  PRIMARY KEY (source_id, event_id)
);
CREATE INDEX events_source_newest ON events (source_id, event_time DESC);
CREATE INDEX events_action ON events (action, event_time DESC);

-- Where a source's ingestion stands. Advanced in the same transaction as the events of the page it describes.
CREATE TABLE checkpoints (
  source_id                uuid PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
  cursor                   text,
  -- Where the first pass starts: creation time minus the source's backfill days.
  backfill_from            timestamptz NOT NULL,
  backfill_completed_at    timestamptz,
  newest_processed_at      timestamptz,
  newest_event_time        timestamptz,
  last_event_persisted_at  timestamptz,
  last_polled_at           timestamptz,
  events_ingested          bigint NOT NULL DEFAULT 0,
  pages_fetched            bigint NOT NULL DEFAULT 0,
  updated_at               timestamptz NOT NULL DEFAULT now()
);
