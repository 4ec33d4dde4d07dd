-- Detections of one rule and subject within the rule's period join one open alert: the alert keeps the group's key,
-- how many detections joined, and the first and last event time. NULL group_key: not a grouped detection alert
-- (other kinds, and detection alerts opened before grouping, one per event).
ALTER TABLE alerts
  ADD COLUMN group_key        text,
  ADD COLUMN detection_count  integer,
  ADD COLUMN first_event_at   timestamptz,
  ADD COLUMN last_event_at    timestamptz;
-- The lookup of a page's open groups; small, since only open grouped alerts are in it.
CREATE INDEX alerts_open_groups ON alerts (source_id, group_key) WHERE status = 'open' AND group_key IS NOT NULL;

-- A source may shorten or lengthen a rule's grouping period: rule id -> seconds.
ALTER TABLE source_detection_settings ADD COLUMN group_periods jsonb NOT NULL DEFAULT '{}';

-- A growing group sends one 'updated' notice per destination each time its detections reach a power of two (2, 4,
-- 8...): at_count names the count, so each doubling is a notice of its own. 0 for the other notices.
ALTER TABLE alert_deliveries
  DROP CONSTRAINT alert_deliveries_notice_check,
  ADD CONSTRAINT alert_deliveries_notice_check CHECK (notice IN ('opened', 'resolved', 'updated')),
  ADD COLUMN at_count integer NOT NULL DEFAULT 0,
  DROP CONSTRAINT alert_deliveries_one_per_destination,
  ADD CONSTRAINT alert_deliveries_one_per_destination UNIQUE (alert_id, notice, destination_id, at_count);
