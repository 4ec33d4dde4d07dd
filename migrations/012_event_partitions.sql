-- Events are partitioned: one list partition per source, itself one range partition per UTC month of event_time.
-- Retention drops a whole month of one source (detach, then drop), never deletes rows; `remove --purge` drops the
-- source's partition. Months are made ahead by ensureEventPartitions and on demand by a page that needs one.
--
-- This migration only renames and creates (fast, inside its transaction): the events of the previous release stay in
-- events_unpartitioned, which the readers see through stored_events, until moveUnpartitionedEvents (the worker's
-- start, or `atlassian-audit store upgrade`) has moved them in batches and dropped it.

ALTER TABLE events RENAME TO events_unpartitioned;
ALTER INDEX events_pkey RENAME TO events_unpartitioned_pkey;
ALTER INDEX events_source_newest RENAME TO events_unpartitioned_source_newest;
ALTER INDEX events_action RENAME TO events_unpartitioned_action;
ALTER INDEX IF EXISTS events_source_seq RENAME TO events_unpartitioned_source_seq;
ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_source_id_fkey TO events_unpartitioned_source_id_fkey;

-- 011 adds this counter; repeated here so that the partitioned table's seq has its source either way.
ALTER TABLE checkpoints ADD COLUMN IF NOT EXISTS events_sequenced bigint NOT NULL DEFAULT 0;

-- The key holds the partition columns, as PostgreSQL requires. event_time never changes for an event, so the same event
-- always lands in the same month and ON CONFLICT on this key still drops a re-fetched event; the same id sent again
-- with another time is found by the page's look-up by event_id (store/events.ts) and held as duplicate_id.
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
  original            text,
  -- Per source, in commit order (checkpoints.events_sequenced): what outputs read by.
  seq                 bigint NOT NULL,
  PRIMARY KEY (source_id, event_time, event_id)
) PARTITION BY LIST (source_id);
-- The key, read backwards, serves "a source's newest events" (the old events_source_newest).
CREATE INDEX events_action ON events (action, event_time DESC);
-- Within one month leaf the source is fixed: the event id alone finds an id re-sent with another time.
CREATE INDEX events_event_id ON events (event_id);
CREATE INDEX events_source_seq ON events (source_id, seq);

-- Every reader of stored events reads this: both tables while the move runs, then the partitioned one alone.
CREATE VIEW stored_events AS
  SELECT source_id, event_id, event_time, processed_at, action, actor_id, actor_name, actor_email, ip, location,
         p_log_type, p_event_time, p_parse_time, p_source_id, p_source_label, p_row_id, p_any_ip_addresses, p_any_emails,
         p_any_usernames, raw, original
    FROM events
  UNION ALL
  SELECT source_id, event_id, event_time, processed_at, action, actor_id, actor_name, actor_email, ip, location,
         p_log_type, p_event_time, p_parse_time, p_source_id, p_source_label, p_row_id, p_any_ip_addresses, p_any_emails,
         p_any_usernames, raw, original
    FROM events_unpartitioned;

-- A SQL-standard body is bound to the table it named when created, here the renamed one: it reads the view instead.
CREATE OR REPLACE FUNCTION detection_country_seen(source uuid, country text, since timestamptz, until timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_bitmapscan = off
RETURN (
  SELECT e.event_time FROM stored_events e
   WHERE e.source_id = source AND e.event_time >= since AND e.event_time < until AND detection_country(e.location) = country
   ORDER BY e.event_time DESC
   LIMIT 1
) IS NOT NULL;

-- Where retention says a source's events expire: no month before it is ever made. NULL: nothing expires. The retention
-- settings (a later migration) replace this body; the partition mechanics only ask it.
CREATE FUNCTION event_retention_cutoff(source uuid, now timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE
RETURN NULL::timestamptz;

CREATE FUNCTION event_partition_name(source uuid) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN 'events_' || replace(source::text, '-', '');

CREATE FUNCTION event_month_name(source uuid, month date) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN event_partition_name(source) || '_' || to_char(month, 'YYYYMM');

-- Made apart, then attached: ATTACH PARTITION takes only SHARE UPDATE EXCLUSIVE on the parent, which pages inserting
-- into it do not wait for, where CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE. Attaching builds the
-- parent's indexes on the new, empty table. Returns whether it made the partition.
-- Makers of partitions take this lock first, before any other: attaching a partition locks events, then sources (for
-- the foreign key), while a new source's transaction writes sources, then attaches. Two makers taking those in turn
-- would deadlock; one at a time, they cannot. Held to the end of the transaction.
CREATE FUNCTION lock_event_partitions() RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(7351205) $$;

-- Whether another maker made the table while this one waited for the lock. Read from pg_class itself: to_regclass
-- goes through this session's catalog cache, which an advisory lock does not refresh.
CREATE FUNCTION event_table_made(name text) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = name AND relnamespace = current_schema()::regnamespace) $$;

CREATE FUNCTION create_event_source_partition(source uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  name text := event_partition_name(source);
BEGIN
  IF to_regclass(name) IS NOT NULL THEN RETURN false; END IF;
  PERFORM lock_event_partitions();
  IF event_table_made(name) THEN RETURN false; END IF;
  EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY RANGE (event_time)', name);
  EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES IN (%L)', name, source);
  RETURN true;
END $$;

-- One UTC month of one source (month: its first day), with the source's partition if need be. Returns the table's name
-- when it made it, NULL when it existed.
CREATE FUNCTION create_event_month(source uuid, month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  name text := event_month_name(source, month);
  parent text := event_partition_name(source);
BEGIN
  IF to_regclass(name) IS NOT NULL THEN RETURN NULL; END IF;
  PERFORM lock_event_partitions();
  IF event_table_made(name) THEN RETURN NULL; END IF;
  PERFORM create_event_source_partition(source);
  EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING GENERATED)', name);
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, name,
                 (month::timestamp AT TIME ZONE 'UTC'), ((month + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
  RETURN name;
END $$;

-- Every existing source gets its partition and the months around now; the months of its older events are made by the
-- move as it reaches them.
SELECT create_event_month(s.id, m::date)
  FROM sources s,
       generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'), date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months', interval '1 month') AS m;
