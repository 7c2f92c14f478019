-- apiwarden PostgreSQL schema, version 3: the alerts the analysers raised,
-- the latest state of each (one row per alert fingerprint). Several
-- analysers may save the same alert: the store keeps the newest state
-- (last_seen_at), see postgres.ts saveAlerts.
CREATE TABLE alerts (
  fingerprint  text   COLLATE "C" NOT NULL PRIMARY KEY,
  rule         text   COLLATE "C" NOT NULL,
  status       text   NOT NULL,
  severity     text   NOT NULL,
  starts_at    bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  record       jsonb  NOT NULL
);
CREATE INDEX alerts_starts_at ON alerts (starts_at DESC);
