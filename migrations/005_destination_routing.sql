-- Destinations choose what they hear, and webhooks sign what they send.
CREATE FUNCTION severity_rank(severity text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN array_position(ARRAY['info', 'low', 'medium', 'high', 'critical'], severity);

ALTER TABLE alert_destinations
  -- NULL: every kind.
  ADD COLUMN kinds text[] CHECK (kinds <@ ARRAY['silence', 'credentials', 'key_expiry', 'detection']),
  ADD COLUMN min_severity text NOT NULL DEFAULT 'info' CHECK (min_severity IN ('info', 'low', 'medium', 'high', 'critical')),
  -- A webhook's Standard Webhooks secret, sealed with the credentials key for its URL; NULL sends unsigned notices.
  ADD COLUMN signing_secret bytea CHECK (signing_secret IS NULL OR format = 'webhook');

-- Copied with the URL when a notice is queued: it is signed as its destination was configured then.
ALTER TABLE alert_deliveries ADD COLUMN signing_secret bytea;
