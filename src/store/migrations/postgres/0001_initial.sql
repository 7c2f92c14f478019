-- apiwarden PostgreSQL schema, version 1: the tables the analysers write.
--
-- Run by src/store/migrate.ts inside one transaction, with search_path set
-- to the target schema: names here are unqualified on purpose, so that the
-- same file serves any schema name. A released file is never edited; a
-- change is a new file with the next number.
--
-- Text that is sorted or compared as a key is COLLATE "C": byte order, as
-- SQLite's BINARY, so that both stores list in the same order whatever the
-- database's locale.

-- Per-endpoint counters, one row per (upstream, host, method, template).
-- The key is a SHA-256 of those four fields (computed by the store, see
-- postgres.ts) rather than the fields themselves: a template may be 4,096
-- characters of client-chosen text, and a B-tree entry holds at most 2,704
-- bytes; an over-long key would fail the whole batch.
CREATE TABLE endpoints (
  key_hash     bytea   NOT NULL PRIMARY KEY,
  upstream     text    COLLATE "C" NOT NULL,
  host         text    COLLATE "C" NOT NULL,
  method       text    COLLATE "C" NOT NULL,
  template     text    COLLATE "C" NOT NULL,
  operation_id text,
  class        text    NOT NULL,
  -- counted against the cap on client-chosen endpoints (see sqlite.ts)
  is_unmatched boolean NOT NULL,
  first_seen   bigint  NOT NULL,
  last_seen    bigint  NOT NULL,
  total        bigint  NOT NULL,
  status_1xx   bigint  NOT NULL,
  status_2xx   bigint  NOT NULL,
  status_3xx   bigint  NOT NULL,
  status_4xx   bigint  NOT NULL,
  status_5xx   bigint  NOT NULL,
  status_none  bigint  NOT NULL,
  documented   bigint  NOT NULL,
  shadow       bigint  NOT NULL,
  zombie       bigint  NOT NULL,
  unknown      bigint  NOT NULL,
  rejected     bigint  NOT NULL
);
-- Only the unmatched rows are counted (for the cap); a partial index keeps
-- that count an index-only scan over at most the cap's rows.
CREATE INDEX endpoints_unmatched ON endpoints (upstream) WHERE is_unmatched;

-- The discovery inventory snapshot: the whole record as JSONB (read and
-- written whole), beside the columns it is sorted on. Keyed by a hash for
-- the same reason as endpoints.
CREATE TABLE inventory (
  key_hash     bytea   NOT NULL PRIMARY KEY,
  host         text    COLLATE "C" NOT NULL,
  method       text    COLLATE "C" NOT NULL,
  template     text    COLLATE "C" NOT NULL,
  operation_id text,
  count        bigint  NOT NULL,
  last_seen    bigint  NOT NULL,
  record       jsonb   NOT NULL
);

-- Ids of the events counted, so that a redelivered event is skipped
-- (JetStream delivers at least once). time is the event's time, ms, and
-- comes first in the key: gateway ids are random, and a key on them alone
-- would scatter each batch's inserts over the whole index (a page written
-- per id), where (time, id) puts them together at its newest end. The
-- prune deletes the oldest times through the same index. A redelivery has
-- the same time and id (see idempotency.ts).
CREATE TABLE recorded_events (
  time bigint NOT NULL,
  id   text   COLLATE "C" NOT NULL,
  PRIMARY KEY (time, id)
);
