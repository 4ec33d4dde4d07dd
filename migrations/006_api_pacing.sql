-- The pace of requests to the Atlassian API per organization, shared by every worker: the sources of one
-- organization spend one rate limit. Each request takes the next slot; each response sets the spacing of the slots
-- that follow from what the API says remains of its window.
CREATE TABLE api_pacing (
  organization_id  text PRIMARY KEY,
  -- The earliest moment the next request may go out.
  next_request_at  timestamptz NOT NULL DEFAULT now(),
  -- Between slots: what remains of the window spread over the requests that remain in it.
  spacing          interval NOT NULL DEFAULT '0 seconds'
);
