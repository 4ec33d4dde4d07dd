-- Webhook URLs are credentials (a Slack URL carries its token): sealed with the credentials key like API keys, bound
-- to their row (source and format), and never copied into the outbox, whose rows name their destination instead.

ALTER TABLE alert_destinations
  ADD COLUMN sealed_url bytea,
  -- Scheme, host and port: all `alerts` and logs may show of the URL.
  ADD COLUMN shown_url text,
  ALTER COLUMN url DROP NOT NULL;
UPDATE alert_destinations SET shown_url = substring(url FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*') || '/…';
ALTER TABLE alert_destinations ALTER COLUMN shown_url SET NOT NULL;
-- A migration cannot encrypt: the rows above stay clear until a worker starts or `reencrypt` runs, which both seal
-- them (alerts/destinations.ts, sealClearDestinations). NOT VALID: the rule holds for every row written from now on.
ALTER TABLE alert_destinations
  ADD CONSTRAINT alert_destinations_url_sealed CHECK (url IS NULL AND sealed_url IS NOT NULL) NOT VALID;

-- A notice names its destination: the destination row's id, or env:webhook / env:slack for the ones workers publish
-- from ALERT_WEBHOOK_URL / ALERT_SLACK_WEBHOOK_URL (those rows are rewritten at every start; the names stay).
ALTER TABLE alert_deliveries ADD COLUMN destination_id text;
UPDATE alert_deliveries d
   SET destination_id = CASE WHEN t.source_id IS NULL THEN 'env:' || t.format ELSE t.id::text END
  FROM alerts a, alert_destinations t
 WHERE a.id = d.alert_id AND t.format = d.format AND t.url = d.url AND (t.source_id = a.source_id OR t.source_id IS NULL);
-- A notice whose destination is gone keeps its record under a name of its own; it can no longer be sent.
UPDATE alert_deliveries
   SET destination_id = 'removed:' || id,
       status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
       last_error = CASE WHEN status = 'pending' THEN 'its destination was removed' ELSE last_error END
 WHERE destination_id IS NULL;
ALTER TABLE alert_deliveries
  ALTER COLUMN destination_id SET NOT NULL,
  -- Dropping url drops the old UNIQUE (alert_id, notice, format, url) with it.
  DROP COLUMN url,
  -- Notices are signed with their destination's secret when they are sent.
  DROP COLUMN signing_secret,
  ADD CONSTRAINT alert_deliveries_one_per_destination UNIQUE (alert_id, notice, destination_id);
