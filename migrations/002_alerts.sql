-- Alerts about a source: it went silent, its key was rejected or expires soon, or a detection matched.
-- An alert is opened once and resolved once; a later occurrence is a new row.
CREATE TABLE alerts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_id    uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('silence', 'credentials', 'key_expiry', 'detection')),
  -- '' when the kind needs no finer key; NULL would make every open alert distinct to the unique index below.
  dedup_key    text NOT NULL DEFAULT '',
  status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  severity     text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
  title        text NOT NULL,
  message      text NOT NULL,
  details      jsonb NOT NULL DEFAULT '{}',
  opened_at    timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz,
  resolution   text,
  CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
-- The rule that makes a second opener (a retried activity, a restarted watchdog) a no-op.
CREATE UNIQUE INDEX alerts_one_open ON alerts (source_id, kind, dedup_key) WHERE status = 'open';
CREATE INDEX alerts_newest ON alerts (opened_at DESC);

-- Where notices go. source_id NULL is global: workers publish ALERT_WEBHOOK_URL / ALERT_SLACK_WEBHOOK_URL here at
-- start, so that whoever opens an alert can queue its deliveries inside its own transaction.
CREATE TABLE alert_destinations (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_id   uuid REFERENCES sources (id) ON DELETE CASCADE,
  format      text NOT NULL CHECK (format IN ('webhook', 'slack')),
  url         text NOT NULL CHECK (url ~* '^https?://[^/\s]'),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alert_destinations_one_per_format
  ON alert_destinations (COALESCE(source_id, '00000000-0000-0000-0000-000000000000'::uuid), format);

-- The outbox: one row per notice (opened, resolved) and destination, written in the transaction that opened or
-- resolved the alert, and worked off by the delivery activity. A failing destination only makes its rows wait.
CREATE TABLE alert_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id         bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  notice           text NOT NULL CHECK (notice IN ('opened', 'resolved')),
  format           text NOT NULL CHECK (format IN ('webhook', 'slack')),
  -- Copied, not referenced: the record says where a notice went even after the destination changed.
  url              text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  -- Also the lease: a claimed row is pushed into the future, so a crashed deliverer's rows come back by themselves.
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (alert_id, notice, format, url)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
