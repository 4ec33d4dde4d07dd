-- The pace of requests to the Atlassian API per organization, shared by every worker: the sources of one
-- organization spend one rate limit. Each request takes the next slot; each response sets the spacing of the slots
-- that follow from what the API says remains of its window.
CREATE TABLE api_pacing (
  -- The API's base URL and the organization id: one rate limit (the simulators of tests reuse organization ids).
  budget           text PRIMARY KEY,
  -- The earliest moment the next request may go out.
  next_request_at  timestamptz NOT NULL DEFAULT now(),
  -- Between slots: what remains of the window spread over the requests that remain in it, until the window resets.
  spacing          interval NOT NULL DEFAULT '0 seconds',
  spacing_until    timestamptz NOT NULL DEFAULT now()
);
