-- apiwarden PostgreSQL schema, version 2: storage settings for the write
-- pattern of the analysers. No change of shape.

-- Every batch updates the busiest endpoint rows. With free room on the page
-- an update is HOT (heap-only: no new index entry, no index to vacuum),
-- which needs the page not to be full: keep half of each page free. The
-- table holds some ten thousand rows, so the space is a few megabytes.
ALTER TABLE endpoints SET (fillfactor = 50);

-- recorded_events grows at the new end and is pruned at the old end,
-- about a minute's worth of rows at a time. With the default scale factor
-- (20%) autovacuum would wait until a fifth of a table of days of ids were
-- dead before reclaiming them; 2% keeps the bloat small.
ALTER TABLE recorded_events SET (autovacuum_vacuum_scale_factor = 0.02);
