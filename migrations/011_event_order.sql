-- Outputs forward each source's events in the order they were stored, not by event time: late events exist, and a
-- forwarder that reads "seq past my position" must never pass over a row that commits after it looked. The counter
-- lives on the source's checkpoint row, and insertEvents (store/events.ts) takes it in the same statement that
-- inserts the page: the row lock it takes is held until commit, so writers of one source (the ingest page, a
-- quarantine reingest) take their numbers, and commit, one after the other.
ALTER TABLE checkpoints ADD COLUMN events_sequenced bigint NOT NULL DEFAULT 0;
-- Null for rows stored before this release; the partitions migration numbers them.
ALTER TABLE events ADD COLUMN seq bigint;
CREATE INDEX events_source_seq ON events (source_id, seq);
