-- Detection packs enabled per source. The ingest path reads this once per page (primary key lookup by source).
CREATE TABLE source_detection_packs (
  source_id   uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  pack_id     text NOT NULL,
  enabled_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, pack_id)
);

-- Settings rules read, per source; a source without a row uses the defaults.
CREATE TABLE source_detection_settings (
  source_id               uuid PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
  allowed_invite_domains  text[] NOT NULL DEFAULT '{}',
  updated_at              timestamptz NOT NULL DEFAULT now()
);

-- One row per raised detection, written in the transaction of the page (or rescan batch) whose event triggered it.
CREATE TABLE detections (
  id           bigserial PRIMARY KEY,
  source_id    uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  pack_id      text NOT NULL,
  rule_id      text NOT NULL,
  severity     text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
  -- What the rule deduplicates per (an actor, an IP, a country...): no second detection within the rule's period.
  dedup_key    text NOT NULL,
  -- The event that triggered it; with the rule, it identifies the detection, so no event raises one twice.
  event_id     text NOT NULL,
  -- Every event the detection rests on (for counting rules, those in the window).
  event_ids    text[] NOT NULL,
  event_time   timestamptz NOT NULL,
  actor_id     text NOT NULL,
  actor_name   text,
  actor_email  text,
  ip           text,
  title        text NOT NULL,
  -- The alert it opened; no foreign key, the alert store's tables belong to the alert path.
  alert_id     bigint,
  detected_at  timestamptz NOT NULL DEFAULT now(),
  -- Leading columns differ on purpose: each of the two dedup lookups (by event, by key) can use exactly one index,
  -- so the planner cannot pick the wrong one on a fresh table whose statistics say it is empty.
  UNIQUE (event_id, rule_id, source_id)
);
CREATE INDEX detections_dedup ON detections (dedup_key, rule_id, source_id, event_time);

-- The country of an events.location, as detections/event-view.ts countryOf() reads it from a fresh event:
-- countryName, else the last comma-separated part of geo. Blank values count as absent.
CREATE FUNCTION detection_country(location jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN COALESCE(
  NULLIF(btrim(location ->> 'countryName'), ''),
  NULLIF(btrim(regexp_replace(location ->> 'geo', '^.*,', '')), '')
);

-- Whether any event of the source came from the country in [since, until): the lookup of the new-country rule.
-- Written so the plan cannot depend on statistics, which lag far behind a backfill: the newest matching event by a
-- backward walk of the time index (LIMIT 1 over an ordered scan beats any plan that must sort), with bitmap scans off
-- (on a "small" range the planner would read all of it, seconds per page at 100,000 events). The walk stops at the
-- first event from the country, a few rows back unless the country really is new.
CREATE FUNCTION detection_country_seen(source uuid, country text, since timestamptz, until timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_bitmapscan = off
RETURN (
  SELECT e.event_time FROM events e
   WHERE e.source_id = source AND e.event_time >= since AND e.event_time < until AND detection_country(e.location) = country
   ORDER BY e.event_time DESC
   LIMIT 1
) IS NOT NULL;
