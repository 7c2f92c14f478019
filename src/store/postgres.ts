import { endpointRecordOf } from './endpoint-row.ts';
import type { Alert } from '../alerts/types.ts';
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { InventoryEndpoint } from '../discovery/types.ts';
import { ApiwardenError } from '../errors.ts';
import { aggregateEvents, foldIntoOther, mergeDelta } from './aggregate.ts';
import type { EndpointDelta } from './aggregate.ts';
import { dedupeRetention, freshEvents, identifyBatch, PruneSchedule } from './idempotency.ts';
import type { IdentifiedBatch } from './idempotency.ts';
import {
  advisoryLockKey,
  DEFAULT_POSTGRES_SCHEMA,
  latestPostgresVersion,
  messageOf,
  migratePostgres,
  postgresSchemaVersion,
  quoteSchema,
} from './migrate.ts';
import type { EndpointQuery, InventoryQuery, Store } from './types.ts';

/**
 * The scale-out store: many analysers consume the gateways' events from
 * JetStream and write them here, concurrently. Same semantics as the SQLite
 * store (the conformance suite runs against both); what differs is how
 * concurrency is made safe without SQLite's single writer lock:
 *
 * - a batch is one transaction of a few statements whatever its size: the
 *   ids (one INSERT … ON CONFLICT DO NOTHING RETURNING over unnest arrays),
 *   then the aggregated counters (one INSERT … ON CONFLICT DO UPDATE);
 * - both statements write their rows in key order, so two analysers whose
 *   batches share endpoints or ids wait for each other instead of
 *   deadlocking;
 * - a redelivered id that another analyser is writing right now waits for
 *   that transaction, then is skipped (or counted, if it rolled back);
 * - the cap on unmatched endpoints is counted under an advisory lock, taken
 *   only by batches that would add such a row while under the cap.
 *
 * Errors reaching the database are thrown (STORE_WRITE_FAILED with the
 * cause): the caller retries, which the id table makes harmless.
 */

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database?sslmode=… */
  url: string;
  /** the schema that holds the tables. Default 'apiwarden'. */
  schema?: string;
  /** connections in the pool. Default 4: one batch uses one, the background prune another. */
  poolSize?: number;
  /** how long the ids of recorded events are kept to skip repeats, ms, counted back from the newest event time seen. Default 7 days. */
  dedupeRetentionMs?: number;
  /**
   * apply the pending migrations when the store starts (default true); when
   * false, a schema that is not at this code's version is refused
   */
  migrate?: boolean;
  /** as in the SQLite store: distinct unmatched endpoints kept as rows of their own. Default 10,000. */
  maxUnmatchedEndpoints?: number;
  /** how long to wait for a new connection, ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** the connections' application_name, to tell analysers apart in pg_stat_activity. Default 'apiwarden'. */
  applicationName?: string;
  /** told about faults off the write path (a failed prune, an idle connection lost); must not throw. Default: ignored. */
  onBackgroundError?: (error: unknown) => void;
  /** the clock that spaces prunes of old ids (tests move it). Default Date.now. */
  clock?: () => number;
}

export type PostgresStore = Store & {
  /** apply pending migrations with the store's pool; resolves to the schema version */
  migrate(): Promise<number>;
};

const DEFAULT_POOL_SIZE = 4;
const DEFAULT_MAX_UNMATCHED = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** As in sqlite.ts: how long a count of unmatched rows at or past the cap is trusted. */
const UNMATCHED_RECOUNT_MS = 5_000;
const MAX_BIGINT_SAFE = Number.MAX_SAFE_INTEGER;

const PG_INT8 = 20;
/**
 * bigint columns come back as numbers, not strings (node-postgres's
 * default, for precision): counters and epoch milliseconds stay far below
 * 2^53. Set on this pool only, not globally for other users of pg.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8 && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

const COUNTER_COLUMNS = [
  'total', 'status_1xx', 'status_2xx', 'status_3xx', 'status_4xx', 'status_5xx', 'status_none',
  'documented', 'shadow', 'zombie', 'unknown', 'rejected',
] as const;

/**
 * PostgreSQL text cannot hold NUL, and node-postgres sends strings as UTF-8,
 * turning a lone surrogate into U+FFFD. Normalise both the same way before
 * hashing a key, so that the hash names exactly the text that is stored.
 */
function pgText(value: string): string {
  const clean = value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
  const s = clean as string & { isWellFormed(): boolean; toWellFormed(): string };
  return s.isWellFormed() ? clean : s.toWellFormed();
}

/** An integer within bigint's (and JavaScript's exact) range: SQLite keeps any number, bigint does not. */
function pgInteger(value: number): number {
  if (!Number.isFinite(value)) return value > 0 ? MAX_BIGINT_SAFE : value < 0 ? -MAX_BIGINT_SAFE : 0;
  return Math.max(-MAX_BIGINT_SAFE, Math.min(MAX_BIGINT_SAFE, Math.trunc(value)));
}

/** SHA-256 of length-prefixed fields: unambiguous whatever the fields contain. */
function keyHash(...fields: string[]): Buffer {
  const hash = createHash('sha256');
  for (const field of fields) hash.update(`${field.length}:${field}`);
  return hash.digest();
}

/** A delta ready to write: key fields normalised, and the hash that is its row's key. */
interface Row {
  hash: Buffer;
  delta: EndpointDelta;
}

function toRow(delta: EndpointDelta): Row {
  delta.upstream = pgText(delta.upstream);
  delta.host = pgText(delta.host);
  delta.method = pgText(delta.method);
  delta.template = pgText(delta.template);
  if (delta.operationId !== null) delta.operationId = pgText(delta.operationId);
  return { hash: keyHash(delta.upstream, delta.host, delta.method, delta.template), delta };
}


/**
 * JSON for a jsonb column. jsonb refuses the escapes \u0000 and unpaired
 * surrogates (\ud800…\udfff), which JSON.stringify writes for such
 * characters in keys and values; they become \ufffd. Every backslash in
 * JSON.stringify's output starts an escape, so reading escapes left to
 * right (an escaped backslash consumed whole) finds exactly those.
 */
function toJsonb(value: unknown): string {
  const json = JSON.stringify(value);
  if (!json.includes('\\u0000') && !/\\ud[89a-f]/.test(json)) return json;
  return json.replace(/\\(?:\\|u0000|ud[89a-f][0-9a-f]{2})/g, (escape) => (escape === '\\\\' ? escape : '\\ufffd'));
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Open the PostgreSQL store: a pool, then the migrations (or a version
 * check when `migrate` is false). Rejects with STORE_OPEN_FAILED (cause
 * kept) when the database cannot be reached, STORE_SCHEMA_TOO_NEW when it
 * is newer than this code, STORE_SCHEMA_TOO_OLD when it needs migrating
 * and `migrate` is false.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  const q = quoteSchema(schema);
  const maxUnmatched = options.maxUnmatchedEndpoints ?? DEFAULT_MAX_UNMATCHED;
  if (!Number.isInteger(maxUnmatched) || maxUnmatched < 0) {
    throw new RangeError(`maxUnmatchedEndpoints must be a non-negative integer, got ${maxUnmatched}`);
  }
  const poolSize = positiveInteger('poolSize', options.poolSize ?? DEFAULT_POOL_SIZE);
  const connectTimeoutMs = positiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const clock = options.clock ?? Date.now;
  const prunes = new PruneSchedule(dedupeRetention(options.dedupeRetentionMs), clock);
  const onBackgroundError = options.onBackgroundError ?? (() => {});
  const report = (error: unknown): void => {
    try {
      onBackgroundError(error);
    } catch {
      // a failing reporter is no reason to fail a write
    }
  };

  const pool = new pg.Pool({
    connectionString: options.url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: options.applicationName ?? 'apiwarden',
    types: TYPES,
  });
  // An idle connection that the server closes (restart, failover) is
  // reported here; without a listener it would be an uncaught 'error'
  // event. The pool drops it and the next query opens another.
  pool.on('error', report);
  // A checked-out connection has no such listener: the server closing it
  // between two queries of a transaction (a restart, pg_terminate_backend)
  // would be an uncaught 'error' event, and the process would exit. The
  // next query on it fails and the caller reports that (the write fails,
  // the connection is released as broken), so nothing is lost by ignoring
  // the event itself; an idle connection's is reported above.
  pool.on('connect', (client) => client.on('error', ignoreConnectionError));

  try {
    if (options.migrate ?? true) {
      await migratePostgres(pool, schema);
    } else {
      const [version, latest] = await Promise.all([postgresSchemaVersion(pool, schema), latestPostgresVersion()]);
      if (version > latest) {
        throw new ApiwardenError(
          'STORE_SCHEMA_TOO_NEW',
          `the PostgreSQL schema ${q} is at version ${version}, newer than this apiwarden knows (${latest}); upgrade apiwarden (there is no downgrade)`,
        );
      }
      if (version < latest) {
        throw new ApiwardenError(
          'STORE_SCHEMA_TOO_OLD',
          `the PostgreSQL schema ${q} is at version ${version}, this apiwarden needs ${latest}: run \`apiwarden migrate\``,
        );
      }
    }
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof ApiwardenError && error.code !== 'STORE_MIGRATION_FAILED') throw error;
    throw new ApiwardenError('STORE_OPEN_FAILED', `cannot open the PostgreSQL store (schema ${q}): ${messageOf(error)}`, { cause: error });
  }

  const capLockKey = advisoryLockKey('unmatched-cap', schema);
  const pruneLockKey = advisoryLockKey('prune-recorded-events', schema);

  // Named statements are prepared once per connection and reused.
  const recordIds: pg.QueryConfig = {
    name: 'apiwarden_record_ids',
    // ORDER BY: ids are locked in one order by every analyser (see the header).
    text: `INSERT INTO ${q}.recorded_events (time, id)
      SELECT time, id FROM unnest($1::text[], $2::bigint[]) AS u(id, time) ORDER BY time, id COLLATE "C"
      ON CONFLICT (time, id) DO NOTHING
      RETURNING id`,
  };
  const arrays = COUNTER_COLUMNS.map((_, i) => `$${i + 11}::bigint[]`).join(', ');
  const upsertEndpoints: pg.QueryConfig = {
    name: 'apiwarden_upsert_endpoints',
    text: `INSERT INTO ${q}.endpoints AS e (
        key_hash, upstream, host, method, template, operation_id, class, is_unmatched, first_seen, last_seen,
        ${COUNTER_COLUMNS.join(', ')})
      SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::boolean[], $9::bigint[], $10::bigint[], ${arrays}) ORDER BY 1
      ON CONFLICT (key_hash) DO UPDATE SET
        ${COUNTER_COLUMNS.map((c) => `${c} = e.${c} + excluded.${c}`).join(',\n        ')},
        first_seen = least(e.first_seen, excluded.first_seen),
        last_seen = greatest(e.last_seen, excluded.last_seen),
        -- every expression reads the row as it was before this UPDATE: the newer side wins
        class = CASE WHEN excluded.last_seen >= e.last_seen THEN excluded.class ELSE e.class END,
        operation_id = CASE WHEN excluded.last_seen >= e.last_seen
                            THEN coalesce(excluded.operation_id, e.operation_id)
                            ELSE coalesce(e.operation_id, excluded.operation_id) END`,
  };
  const existingKeys: pg.QueryConfig = {
    name: 'apiwarden_existing_keys',
    text: `SELECT key_hash FROM ${q}.endpoints WHERE key_hash = ANY($1::bytea[])`,
  };
  const countUnmatched: pg.QueryConfig = {
    name: 'apiwarden_count_unmatched',
    text: `SELECT count(*) AS n FROM ${q}.endpoints WHERE is_unmatched`,
  };
  // Ties broken on every key column, in byte order (the columns are
  // COLLATE "C"), as SQLite does: the same order from both stores.
  const listEndpoints: pg.QueryConfig = {
    name: 'apiwarden_list_endpoints',
    text: `SELECT upstream, host, method, template, operation_id, class, first_seen, last_seen, ${COUNTER_COLUMNS.join(', ')}
      FROM ${q}.endpoints
      WHERE ($1::text IS NULL OR class = $1::text) AND ($2::text IS NULL OR upstream = $2::text)
      ORDER BY total DESC, template, upstream, host, method
      LIMIT $3::bigint`,
  };
  const listInventory: pg.QueryConfig = {
    name: 'apiwarden_list_inventory',
    text: `SELECT record FROM ${q}.inventory ORDER BY count DESC, template, method LIMIT $1::bigint`,
  };

  // The count of unmatched rows as last committed by this process. Rows are
  // never deleted, so a count at or past the cap stays true; below the cap
  // it is re-read under the lock before any row is admitted.
  let unmatchedCount: number | null = null;
  let unmatchedCountedAt = -Infinity;
  let pruning: Promise<void> | null = null;
  let isClosed = false;

  function assertOpen(): void {
    if (isClosed) throw new ApiwardenError('STORE_CLOSED', 'the store is closed');
  }

  /**
   * Fold new unmatched endpoints past the cap into '(other)' rows, as the
   * SQLite store does, and merge rows that share a key after normalising
   * (so that the single UPSERT never meets one key twice).
   */
  async function capAndMerge(client: pg.PoolClient, deltas: readonly EndpointDelta[]): Promise<{ rows: Row[]; count: number | null }> {
    const rows = deltas.map(toRow);
    let count = unmatchedCount;
    const admitted: Row[] = [];
    const folded = new Map<string, EndpointDelta>();
    const unmatched = rows.filter((row) => row.delta.isUnmatched);
    let isNew: (row: Row) => boolean = () => false;
    if (unmatched.length > 0) {
      const { rows: found } = await client.query<{ key_hash: Buffer }>({ ...existingKeys, values: [unmatched.map((r) => r.hash)] });
      const existing = new Set(found.map((r) => r.key_hash.toString('hex')));
      isNew = (row) => row.delta.isUnmatched && !existing.has(row.hash.toString('hex'));
    }
    const newRows = rows.filter(isNew);
    if (newRows.length > 0) {
      const now = Date.now();
      if (count === null || count < maxUnmatched || now - unmatchedCountedAt >= UNMATCHED_RECOUNT_MS) {
        // Whoever admits unmatched rows holds this lock until commit, so
        // the count read after taking it is exact: N analysers cannot
        // admit N times the cap.
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [capLockKey]);
        const { rows: counted } = await client.query<{ n: number }>(countUnmatched);
        count = counted[0]?.n ?? 0;
        unmatchedCountedAt = now;
      }
    }
    for (const row of rows) {
      if (isNew(row)) {
        if ((count as number) >= maxUnmatched) {
          foldIntoOther(row.delta, folded);
          continue;
        }
        count = (count as number) + 1;
      }
      admitted.push(row);
    }
    const byKey = new Map<string, Row>();
    for (const row of [...admitted, ...[...folded.values()].map(toRow)]) {
      const key = row.hash.toString('hex');
      const same = byKey.get(key);
      if (same === undefined) byKey.set(key, row);
      else mergeDelta(same.delta, row.delta);
    }
    return { rows: [...byKey.values()], count };
  }

  function upsertValues(rows: readonly Row[]): unknown[] {
    const columns: unknown[][] = Array.from({ length: 10 + COUNTER_COLUMNS.length }, () => new Array<unknown>(rows.length));
    rows.forEach(({ hash, delta: d }, i) => {
      const values = [
        hash, d.upstream, d.host, d.method, d.template, d.operationId, d.class, d.isUnmatched,
        pgInteger(d.firstSeen), pgInteger(d.lastSeen),
        d.total, d.status1xx, d.status2xx, d.status3xx, d.status4xx, d.status5xx, d.statusNone,
        d.documented, d.shadow, d.zombie, d.unknown, d.rejected,
      ];
      values.forEach((value, column) => ((columns[column] as unknown[])[i] = value));
    });
    return columns;
  }

  async function write(batch: IdentifiedBatch, aggregated: EndpointDelta[]): Promise<number | null> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      let deltas = aggregated;
      if (batch.ids.length > 0) {
        const { rows } = await client.query<{ id: string }>({ ...recordIds, values: [batch.ids, batch.times] });
        const toCount = freshEvents(batch, new Set(rows.map((r) => r.id)));
        // Only a batch with repeats is aggregated again; the common case
        // reuses the aggregation made before the connection was taken.
        if (toCount !== batch.events) deltas = aggregateEvents(toCount);
      }
      const { rows, count } = await capAndMerge(client, deltas);
      if (rows.length > 0) await client.query({ ...upsertEndpoints, values: upsertValues(rows) });
      await client.query('COMMIT');
      return count;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // the connection is gone: do not return it to the pool
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Delete the ids past the retention window, on a connection of its own
   * after the batch committed: a minute's worth of deletes should neither
   * hold the batch's row locks longer nor delay its caller. One analyser at
   * a time (a try-lock; the others skip this round).
   */
  function prune(cutoff: number): void {
    if (pruning !== null) return;
    pruning = (async () => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', [pruneLockKey]);
        if (rows[0]?.ok === true) {
          await client.query(`DELETE FROM ${q}.recorded_events WHERE time < $1::bigint`, [cutoff]);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        client.release(broken);
      }
    })()
      .catch((error: unknown) => {
        prunes.failed();
        report(new ApiwardenError('STORE_PRUNE_FAILED', `cannot prune the recorded event ids: ${messageOf(error)}`, { cause: error }));
      })
      .finally(() => {
        pruning = null;
      });
  }

  return {
    async recordEvents(events) {
      assertOpen();
      if (events.length === 0) return;
      const batch = identifyBatch(events);
      if (batch.events.length === 0) return;
      const aggregated = aggregateEvents(batch.events);
      prunes.observe(batch.newestTime);
      let count: number | null;
      try {
        count = await write(batch, aggregated);
      } catch (error) {
        throw new ApiwardenError('STORE_WRITE_FAILED', `cannot record ${events.length} events: ${messageOf(error)}`, { cause: error });
      }
      // Only a committed count is kept: a rolled-back batch added no rows.
      if (count !== null) unmatchedCount = count;
      const cutoff = isClosed ? null : prunes.take();
      if (cutoff !== null) prune(cutoff);
    },

    async listEndpoints(query: EndpointQuery = {}) {
      assertOpen();
      checkLimit(query.limit);
      const values = [query.class ?? null, query.upstream === undefined ? null : pgText(query.upstream), query.limit ?? null];
      const { rows } = await pool.query({ ...listEndpoints, values });
      return rows.map(endpointRecordOf);
    },

    async saveInventory(endpoints: readonly InventoryEndpoint[]) {
      assertOpen();
      // a later duplicate replaces an earlier one, as SQLite's upsert does
      const byKey = new Map<string, unknown[]>();
      for (const e of endpoints) {
        const host = pgText(e.host);
        const method = pgText(e.method);
        const template = pgText(e.template);
        const hash = keyHash(host, method, template);
        byKey.set(hash.toString('hex'), [
          hash, host, method, template, e.operationId === null ? null : pgText(e.operationId),
          pgInteger(e.count), pgInteger(e.lastSeen), toJsonb(e),
        ]);
      }
      const columns: unknown[][] = Array.from({ length: 8 }, () => []);
      for (const row of byKey.values()) row.forEach((value, i) => (columns[i] as unknown[]).push(value));
      const client = await pool.connect().catch((error: unknown) => {
        throw new ApiwardenError('STORE_WRITE_FAILED', `cannot save ${endpoints.length} inventory endpoints: ${messageOf(error)}`, { cause: error });
      });
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        // a snapshot: endpoints the inventory merged away must not linger.
        // DELETE rather than TRUNCATE, whose exclusive lock would block readers.
        await client.query(`DELETE FROM ${q}.inventory`);
        await client.query(
          `INSERT INTO ${q}.inventory (key_hash, host, method, template, operation_id, count, last_seen, record)
           SELECT k, h, m, t, o, c, l, r::jsonb
           FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[])
             AS u(k, h, m, t, o, c, l, r)`,
          columns,
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw new ApiwardenError('STORE_WRITE_FAILED', `cannot save ${endpoints.length} inventory endpoints: ${messageOf(error)}`, { cause: error });
      } finally {
        client.release(broken);
      }
    },

    async listInventory(query: InventoryQuery = {}) {
      assertOpen();
      checkLimit(query.limit);
      const { rows } = await pool.query<{ record: InventoryEndpoint }>({ ...listInventory, values: [query.limit ?? null] });
      return rows.map((row) => row.record);
    },

    async saveAlerts(alerts: readonly Alert[]) {
      assertOpen();
      if (alerts.length === 0) return;
      const columns: unknown[][] = Array.from({ length: 7 }, () => []);
      for (const a of alerts) {
        [pgText(a.fingerprint), pgText(a.rule), a.status, a.severity, pgInteger(a.startsAt), pgInteger(a.lastSeenAt), toJsonb(a)].forEach((v, i) => (columns[i] as unknown[]).push(v));
      }
      try {
        await pool.query({
          name: 'apiwarden_save_alerts',
          // the newest state wins, whichever analyser saves it
          text: `INSERT INTO ${q}.alerts (fingerprint, rule, status, severity, starts_at, last_seen_at, record)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::jsonb[])
            ON CONFLICT (fingerprint) DO UPDATE SET
              rule = excluded.rule, status = excluded.status, severity = excluded.severity, starts_at = excluded.starts_at,
              last_seen_at = excluded.last_seen_at, record = excluded.record
            WHERE excluded.last_seen_at >= ${q}.alerts.last_seen_at`,
          values: columns,
        });
      } catch (error) {
        throw new ApiwardenError('STORE_WRITE_FAILED', `cannot save ${alerts.length} alerts: ${messageOf(error)}`, { cause: error });
      }
    },

    async listAlerts(query: { limit?: number } = {}) {
      assertOpen();
      checkLimit(query.limit);
      const { rows } = await pool.query<{ record: Alert }>({
        name: 'apiwarden_list_alerts',
        text: `SELECT record FROM ${q}.alerts ORDER BY starts_at DESC, fingerprint LIMIT $1::bigint`,
        values: [query.limit ?? null],
      });
      return rows.map((row) => row.record);
    },

    async migrate() {
      assertOpen();
      return (await migratePostgres(pool, schema)).to;
    },

    async close() {
      if (isClosed) return;
      isClosed = true;
      // let a running prune finish rather than cut its connection
      if (pruning !== null) await pruning;
      await pool.end();
    },
  };
}

/** the 'error' event of a checked-out connection: its next query fails and reports it (see the pool's 'connect') */
function ignoreConnectionError(): void {}
