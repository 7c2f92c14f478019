import { endpointRecordOf } from './endpoint-row.ts';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import { ApiwardenError } from '../errors.ts';
import type { GatewayEvent } from '../events/types.ts';
import { aggregateEvents, foldIntoOther } from './aggregate.ts';
import type { EndpointDelta } from './aggregate.ts';
import { DEFAULT_SQLITE_DEDUPE_RETENTION_MS, dedupeRetention, freshEvents, identifyBatch, PruneSchedule } from './idempotency.ts';
import type { Alert } from '../alerts/types.ts';
import type { InventoryEndpoint } from '../discovery/types.ts';
import type { EndpointQuery, InventoryQuery, Store } from './types.ts';

export interface SqliteStoreOptions {
  /**
   * Most distinct endpoints without an OpenAPI template (shadow, unknown,
   * rejected) kept as rows of their own; past it they are counted in one
   * '(other)' row per upstream and method. Scanners send thousands of
   * random paths: without a cap each would become a row. Default 10,000.
   */
  maxUnmatchedEndpoints?: number;
  /** How long a writer waits for another process's lock before failing, ms. Default 5,000. */
  busyTimeoutMs?: number;
  /**
   * How long the ids of recorded events are kept to skip repeats, ms,
   * counted back from the newest event time seen. Default 7 days.
   */
  dedupeRetentionMs?: number;
  /** the clock that spaces prunes of old ids (tests move it). Default Date.now. */
  clock?: () => number;
}

/**
 * One schema change. The list only grows: a released migration is never
 * edited, a fix is a new version. PostgreSQL follows the same rule with
 * SQL files (src/store/migrations/postgres, applied by migrate.ts).
 */
interface Migration {
  version: number;
  description: string;
  sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'endpoint inventory counters',
    // A rowid table rather than WITHOUT ROWID: shadow templates can be
    // kilobytes long, and WITHOUT ROWID is meant for small rows.
    // No index on total: it changes on every write, and sorting a table that
    // the cap keeps to some ten thousand rows is cheap when listing.
    sql: `
      CREATE TABLE endpoints (
        upstream     TEXT    NOT NULL,
        host         TEXT    NOT NULL,
        method       TEXT    NOT NULL,
        template     TEXT    NOT NULL,
        operation_id TEXT,
        class        TEXT    NOT NULL,
        is_unmatched INTEGER NOT NULL,
        first_seen   INTEGER NOT NULL,
        last_seen    INTEGER NOT NULL,
        total        INTEGER NOT NULL,
        status_1xx   INTEGER NOT NULL,
        status_2xx   INTEGER NOT NULL,
        status_3xx   INTEGER NOT NULL,
        status_4xx   INTEGER NOT NULL,
        status_5xx   INTEGER NOT NULL,
        status_none  INTEGER NOT NULL,
        documented   INTEGER NOT NULL,
        shadow       INTEGER NOT NULL,
        zombie       INTEGER NOT NULL,
        unknown      INTEGER NOT NULL,
        rejected     INTEGER NOT NULL,
        PRIMARY KEY (upstream, host, method, template)
      );
      CREATE INDEX endpoints_unmatched ON endpoints (upstream) WHERE is_unmatched = 1;
    `,
  },
  {
    version: 2,
    description: 'discovery inventory snapshot',
    // One row per endpoint, the whole record as JSON: it is read and written
    // whole (shapes, data classes and evidence nest), and filtered on the
    // few columns beside it.
    sql: `
      CREATE TABLE inventory (
        host         TEXT    NOT NULL,
        method       TEXT    NOT NULL,
        template     TEXT    NOT NULL,
        operation_id TEXT,
        count        INTEGER NOT NULL,
        last_seen    INTEGER NOT NULL,
        record       TEXT    NOT NULL,
        PRIMARY KEY (host, method, template)
      );
    `,
  },
  {
    version: 3,
    description: 'ids of recorded events, to count each event once',
    // Keyed on (time, id), the event's time first: a batch's inserts then
    // land together at the newest end of one B-tree instead of in a page
    // per random id, and the prune deletes a range from the oldest end
    // (see idempotency.ts). WITHOUT ROWID: the key is the whole row, so the
    // table is that one tree rather than a rowid table plus an index.
    sql: `
      CREATE TABLE recorded_events (
        time INTEGER NOT NULL,
        id   TEXT    NOT NULL,
        PRIMARY KEY (time, id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'alerts: the latest state of each, by fingerprint',
    sql: `
      CREATE TABLE alerts (
        fingerprint  TEXT    NOT NULL PRIMARY KEY,
        rule         TEXT    NOT NULL,
        status       TEXT    NOT NULL,
        severity     TEXT    NOT NULL,
        starts_at    INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        record       TEXT    NOT NULL
      );
      CREATE INDEX alerts_starts_at ON alerts (starts_at DESC);
    `,
  },
];

/** The schema version this code writes; a database at a higher version is refused. */
export const SQLITE_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

const DEFAULT_MAX_UNMATCHED = 10_000;
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/**
 * Each process keeps the unmatched-row count in memory, but other processes
 * writing the same file add rows it does not see. Re-counting (under the
 * write lock, so exact) at most this often keeps N processes from admitting
 * N times the cap, for the price of one indexed COUNT every few seconds and
 * only while new unmatched endpoints appear.
 */
const UNMATCHED_RECOUNT_MS = 5_000;

const UPSERT_SQL = `
  INSERT INTO endpoints (
    upstream, host, method, template, operation_id, class, is_unmatched, first_seen, last_seen, total,
    status_1xx, status_2xx, status_3xx, status_4xx, status_5xx, status_none,
    documented, shadow, zombie, unknown, rejected
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (upstream, host, method, template) DO UPDATE SET
    total       = endpoints.total       + excluded.total,
    status_1xx  = endpoints.status_1xx  + excluded.status_1xx,
    status_2xx  = endpoints.status_2xx  + excluded.status_2xx,
    status_3xx  = endpoints.status_3xx  + excluded.status_3xx,
    status_4xx  = endpoints.status_4xx  + excluded.status_4xx,
    status_5xx  = endpoints.status_5xx  + excluded.status_5xx,
    status_none = endpoints.status_none + excluded.status_none,
    documented  = endpoints.documented  + excluded.documented,
    shadow      = endpoints.shadow      + excluded.shadow,
    zombie      = endpoints.zombie      + excluded.zombie,
    unknown     = endpoints.unknown     + excluded.unknown,
    rejected    = endpoints.rejected    + excluded.rejected,
    first_seen  = min(endpoints.first_seen, excluded.first_seen),
    last_seen   = max(endpoints.last_seen, excluded.last_seen),
    -- every expression reads the row as it was before this UPDATE, so
    -- endpoints.last_seen here is the old value: the newer side wins
    class = CASE WHEN excluded.last_seen >= endpoints.last_seen
                 THEN excluded.class ELSE endpoints.class END,
    operation_id = CASE WHEN excluded.last_seen >= endpoints.last_seen
                        THEN coalesce(excluded.operation_id, endpoints.operation_id)
                        ELSE coalesce(endpoints.operation_id, excluded.operation_id) END
`;

// Ties are broken on every key column so that the order is total and the
// same in every implementation (PostgreSQL must compare with COLLATE "C",
// which is what SQLite's BINARY collation does for UTF-8 text).
const LIST_SQL = `
  SELECT * FROM endpoints
  WHERE (?1 IS NULL OR class = ?1) AND (?2 IS NULL OR upstream = ?2)
  ORDER BY total DESC, template, upstream, host, method
  LIMIT ?3
`;

function openDatabase(file: string, busyTimeoutMs: number): DatabaseSync {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  // The timeout option is SQLite's busy_timeout: it also covers the
  // pragmas and migrations below when another process holds the lock.
  const db = new DatabaseSync(file, { timeout: busyTimeoutMs });
  try {
    // WAL lets readers run while one writer writes, which several gateway
    // processes sharing one file need. A ':memory:' database answers
    // 'memory' and stays so.
    db.exec('PRAGMA journal_mode = WAL');
    // In WAL mode NORMAL never corrupts the file; a power loss may lose the
    // last commits, which for traffic counters is the right trade for not
    // fsyncing every batch.
    db.exec('PRAGMA synchronous = NORMAL');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get();
  return typeof row?.version === 'number' ? row.version : 0;
}

function migrate(db: DatabaseSync): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  INTEGER NOT NULL
  )`);
  for (const migration of MIGRATIONS) {
    // BEGIN IMMEDIATE takes the write lock before reading the version, so
    // two processes opening a new file at once cannot both apply a step.
    db.exec('BEGIN IMMEDIATE');
    try {
      const current = schemaVersion(db);
      if (current > SQLITE_SCHEMA_VERSION) {
        throw new ApiwardenError(
          'STORE_SCHEMA_TOO_NEW',
          `the database is at schema version ${current}, newer than this apiwarden (${SQLITE_SCHEMA_VERSION}); upgrade apiwarden`,
        );
      }
      if (current < migration.version) {
        db.exec(migration.sql);
        db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.description,
          Date.now(),
        );
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}


function upsert(statement: StatementSync, d: EndpointDelta): void {
  statement.run(
    d.upstream, d.host, d.method, d.template, d.operationId, d.class, d.isUnmatched ? 1 : 0,
    d.firstSeen, d.lastSeen, d.total,
    d.status1xx, d.status2xx, d.status3xx, d.status4xx, d.status5xx, d.statusNone,
    d.documented, d.shadow, d.zombie, d.unknown, d.rejected,
  );
}

/**
 * The embedded store: one SQLite file (or ':memory:'), safe to share between
 * several gateway processes. node:sqlite is synchronous, so each call runs
 * on the caller's thread and holds the event loop for its transaction:
 * about 1.5 ms for a batch of 1,000 events (~500,000 events/s,
 * bench/store/postgres.ts), two thirds of it recording the ids that make
 * writes idempotent, the rest the in-memory aggregation (which alone ran
 * at ~1.5 M events/s). The event recorder calls it off the
 * request path, in batches of at most maxBatch events. A writer waiting
 * for another process's lock also waits on this thread (busyTimeoutMs).
 */
export function createSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  const maxUnmatched = options.maxUnmatchedEndpoints ?? DEFAULT_MAX_UNMATCHED;
  if (!Number.isInteger(maxUnmatched) || maxUnmatched < 0) {
    throw new RangeError(`maxUnmatchedEndpoints must be a non-negative integer, got ${maxUnmatched}`);
  }
  const clock = options.clock ?? Date.now;
  const prunes = new PruneSchedule(dedupeRetention(options.dedupeRetentionMs ?? DEFAULT_SQLITE_DEDUPE_RETENTION_MS), clock);
  let db: DatabaseSync;
  try {
    db = openDatabase(file, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof ApiwardenError) throw error;
    throw new ApiwardenError('STORE_OPEN_FAILED', `cannot open the SQLite store ${file}`, { cause: error });
  }

  const upsertStatement = db.prepare(UPSERT_SQL);
  const existsStatement = db.prepare(
    'SELECT 1 AS found FROM endpoints WHERE upstream = ? AND host = ? AND method = ? AND template = ?',
  );
  const countUnmatchedStatement = db.prepare('SELECT count(*) AS n FROM endpoints WHERE is_unmatched = 1');
  const listStatement = db.prepare(LIST_SQL);
  const saveInventoryStatement = db.prepare(`
    INSERT INTO inventory (host, method, template, operation_id, count, last_seen, record) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (host, method, template) DO UPDATE SET
      operation_id = excluded.operation_id, count = excluded.count, last_seen = excluded.last_seen, record = excluded.record`);
  const clearInventoryStatement = db.prepare('DELETE FROM inventory');
  const listInventoryStatement = db.prepare('SELECT record FROM inventory ORDER BY count DESC, template, method LIMIT ?');
  // the newest state wins: two processes may save the same alert (several analysers)
  const saveAlertStatement = db.prepare(`
    INSERT INTO alerts (fingerprint, rule, status, severity, starts_at, last_seen_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (fingerprint) DO UPDATE SET
      rule = excluded.rule, status = excluded.status, severity = excluded.severity, starts_at = excluded.starts_at,
      last_seen_at = excluded.last_seen_at, record = excluded.record
    WHERE excluded.last_seen_at >= alerts.last_seen_at`);
  const listAlertsStatement = db.prepare('SELECT record FROM alerts ORDER BY starts_at DESC, fingerprint LIMIT ?');
  const recordIdStatement = db.prepare('INSERT INTO recorded_events (id, time) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const pruneIdsStatement = db.prepare('DELETE FROM recorded_events WHERE time < ?');

  const countUnmatched = (): number => countUnmatchedStatement.get()?.n as number;
  let unmatchedCount = countUnmatched();
  let unmatchedCountedAt = Date.now();
  let isClosed = false;

  function assertOpen(): void {
    if (isClosed) throw new ApiwardenError('STORE_CLOSED', 'the store is closed');
  }

  function write(events: readonly GatewayEvent[]): void {
    // Identify and aggregate before taking the lock: other processes wait
    // on it. Only when the store already holds some of the ids is the rest
    // aggregated again, under the lock (redeliveries are the rare case).
    const batch = identifyBatch(events);
    const aggregated = aggregateEvents(batch.events);
    prunes.observe(batch.newestTime);
    const cutoff = prunes.take();
    // IMMEDIATE: take the write lock up front, waiting up to busy_timeout.
    // A deferred transaction that reads first and then writes can fail at
    // once with SQLITE_BUSY when another process wrote in between (WAL
    // cannot upgrade a stale read snapshot), and the busy handler does not help.
    db.exec('BEGIN IMMEDIATE');
    try {
      // The ids go in the same transaction as the counters: a batch that
      // rolls back leaves no id behind, and its retry counts.
      const fresh = new Set<string>();
      for (let i = 0; i < batch.ids.length; i += 1) {
        const id = batch.ids[i] as string;
        if (recordIdStatement.run(id, batch.times[i] as number).changes === 1) fresh.add(id);
      }
      const toCount = freshEvents(batch, fresh);
      const deltas = toCount === batch.events ? aggregated : aggregateEvents(toCount);
      let count = unmatchedCount;
      let countedAt = unmatchedCountedAt;
      const folded = new Map<string, EndpointDelta>();
      for (const delta of deltas) {
        if (
          delta.isUnmatched &&
          existsStatement.get(delta.upstream, delta.host, delta.method, delta.template) === undefined
        ) {
          // A new unmatched endpoint: only now does the cap matter.
          const now = Date.now();
          if (now - countedAt >= UNMATCHED_RECOUNT_MS) {
            count = countUnmatched();
            countedAt = now;
          }
          if (count >= maxUnmatched) {
            foldIntoOther(delta, folded);
            continue;
          }
          count += 1;
        }
        upsert(upsertStatement, delta);
      }
      for (const other of folded.values()) upsert(upsertStatement, other);
      if (cutoff !== null) pruneIdsStatement.run(cutoff);
      db.exec('COMMIT');
      // Only a committed count is kept: a rolled-back batch added no rows.
      unmatchedCount = count;
      unmatchedCountedAt = countedAt;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      if (cutoff !== null) prunes.failed();
      throw error;
    }
  }

  return {
    async recordEvents(events) {
      assertOpen();
      if (events.length === 0) return;
      try {
        write(events);
      } catch (error) {
        throw new ApiwardenError('STORE_WRITE_FAILED', `cannot record ${events.length} events`, { cause: error });
      }
    },

    async listEndpoints(query: EndpointQuery = {}) {
      assertOpen();
      const { limit } = query;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
        throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
      }
      const rows = listStatement.all(query.class ?? null, query.upstream ?? null, limit ?? -1);
      return rows.map(endpointRecordOf);
    },

    async saveInventory(endpoints: readonly InventoryEndpoint[]) {
      assertOpen();
      db.exec('BEGIN IMMEDIATE');
      try {
        // a snapshot: endpoints the inventory merged away must not linger
        clearInventoryStatement.run();
        for (const e of endpoints) {
          saveInventoryStatement.run(e.host, e.method, e.template, e.operationId, e.count, e.lastSeen, JSON.stringify(e));
        }
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw new ApiwardenError('STORE_WRITE_FAILED', `cannot save ${endpoints.length} inventory endpoints`, { cause: error });
      }
    },

    async listInventory(query: InventoryQuery = {}) {
      assertOpen();
      const { limit } = query;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
        throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
      }
      return listInventoryStatement.all(limit ?? -1).map((row) => JSON.parse(row.record as string) as InventoryEndpoint);
    },

    async saveAlerts(alerts: readonly Alert[]) {
      assertOpen();
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const a of alerts) saveAlertStatement.run(a.fingerprint, a.rule, a.status, a.severity, a.startsAt, a.lastSeenAt, JSON.stringify(a));
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw new ApiwardenError('STORE_WRITE_FAILED', `cannot save ${alerts.length} alerts`, { cause: error });
      }
    },

    async listAlerts(query: { limit?: number } = {}) {
      assertOpen();
      const { limit } = query;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
      return listAlertsStatement.all(limit ?? -1).map((row) => JSON.parse(row.record as string) as Alert);
    },

    async close() {
      if (isClosed) return;
      isClosed = true;
      try {
        // Lets SQLite refresh its planner statistics; cheap when nothing changed.
        db.exec('PRAGMA optimize');
      } catch {
        // another process holds the write lock past busy_timeout: the statistics can wait for the next close
      } finally {
        db.close();
      }
    },
  };
}
