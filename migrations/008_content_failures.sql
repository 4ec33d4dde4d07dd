-- A page whose whole answer cannot be read (not JSON, the envelope wrong, past the size cap) is asked for again; a
-- truncated body is a normal transient fault. Counted here, attempt after attempt and across workers, until any page
-- commits: at every 10th in a row, the source stops as failed and the operator is told, instead of retrying for ever.
ALTER TABLE checkpoints ADD COLUMN content_failures integer NOT NULL DEFAULT 0;
