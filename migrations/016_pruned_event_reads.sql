-- A query over events must name its source as a value the planner sees, or it opens (and locks) every partition of
-- every source: with a few hundred sources, a transaction runs out of lock slots ("out of shared memory"). A function
-- in LANGUAGE sql is planned once with its arguments as unknowns, so the new-country lookup becomes PL/pgSQL that plans
-- its query for each call with the values themselves. Still without bitmap scans, for the reason given in 003.
CREATE OR REPLACE FUNCTION detection_country_seen(source uuid, country text, since timestamptz, until timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET enable_bitmapscan = off
AS $$
DECLARE
  seen boolean;
BEGIN
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM stored_events e
                           WHERE e.source_id = $1 AND e.event_time >= $3 AND e.event_time < $4 AND detection_country(e.location) = $2
                           ORDER BY e.event_time DESC
                           LIMIT 1)'
    INTO seen
    USING source, country, since, until;
  RETURN seen;
END;
$$;
