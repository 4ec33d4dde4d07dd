-- How long events are kept: a global default and a per-source override, both in whole days. Events go by whole
-- months (store/retention.ts), so a source keeps at least its retention and less than a month more.
CREATE TABLE retention_settings (
  -- One row: the global settings.
  id                      boolean PRIMARY KEY DEFAULT true CHECK (id),
  default_retention_days  integer NOT NULL DEFAULT 365 CHECK (default_retention_days BETWEEN 30 AND 3660),
  updated_by              text,
  updated_at              timestamptz NOT NULL DEFAULT now()
);
INSERT INTO retention_settings DEFAULT VALUES;

-- NULL: the global default. Read by maintenance only, so the CLI writes it here directly (no workflow holds it).
ALTER TABLE sources ADD COLUMN retention_days integer CHECK (retention_days BETWEEN 30 AND 3660);

-- Legal holds: while a source has an open hold, maintenance drops none of its events, detections or held events.
-- Rows are kept after release: who placed and lifted a hold, when and why, is itself a record a lawyer may ask for.
CREATE TABLE legal_holds (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_id       uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  placed_at       timestamptz NOT NULL DEFAULT now(),
  placed_by       text NOT NULL,
  reason          text NOT NULL,
  released_at     timestamptz,
  released_by     text,
  release_reason  text,
  CHECK ((released_at IS NULL) = (released_by IS NULL) AND (released_at IS NULL) = (release_reason IS NULL))
);
CREATE UNIQUE INDEX legal_holds_one_open ON legal_holds (source_id) WHERE released_at IS NULL;

-- What each store maintenance run did, for the operator (`retention runs`): one row per run, its report filled in
-- step by step, so that a run that failed halfway still says what it had done.
CREATE TABLE maintenance_runs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow_id  text NOT NULL,
  run_id       text NOT NULL,
  -- The moment the run judged ages against: its workflow's start, or the time a test gave it.
  as_of        timestamptz NOT NULL,
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
  report       jsonb NOT NULL DEFAULT '{}',
  error        text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  -- A retried first activity finds its run instead of starting another.
  UNIQUE (workflow_id, run_id)
);
CREATE INDEX maintenance_runs_newest ON maintenance_runs (started_at DESC);

-- The prunes' lookups by age.
CREATE INDEX alerts_resolved_at ON alerts (resolved_at) WHERE status = 'resolved';
CREATE INDEX alert_deliveries_finished ON alert_deliveries (created_at) WHERE status <> 'pending';
CREATE INDEX detections_source_time ON detections (source_id, event_time);
CREATE INDEX quarantined_events_age ON quarantined_events (source_id, quarantined_at);

-- Where a source's events expire as of `now`: the start of the UTC month holding now minus its retention (whole months
-- only, so every event is kept at least its retention); NULL while a legal hold is in force (nothing expires). The
-- one place of this rule: the partition mechanics make no month before it, and maintenance drops every month before it.
CREATE OR REPLACE FUNCTION event_retention_cutoff(source uuid, now timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE
RETURN (
  SELECT date_trunc('month', (now AT TIME ZONE 'UTC') - make_interval(days => COALESCE(s.retention_days, r.default_retention_days))) AT TIME ZONE 'UTC'
    FROM sources s CROSS JOIN retention_settings r
   WHERE s.id = source
     AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.source_id = s.id AND h.released_at IS NULL)
);
