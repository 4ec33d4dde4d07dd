-- Operators acknowledge an alert (it stays open: someone is on it) and resolve any alert by hand; a detection alert
-- may resolve itself after its rule's period.
ALTER TABLE alerts
  ADD COLUMN acknowledged_at  timestamptz,
  ADD COLUMN acknowledged_by  text,
  ADD COLUMN acknowledgement  text,
  ADD COLUMN resolved_by      text,
  ADD COLUMN auto_resolve_at  timestamptz;
CREATE INDEX alerts_auto_resolve_due ON alerts (auto_resolve_at) WHERE status = 'open' AND auto_resolve_at IS NOT NULL;
