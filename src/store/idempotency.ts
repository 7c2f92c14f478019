import { createHash } from 'node:crypto';
import type { GatewayEvent } from '../events/types.ts';

/**
 * Exactly-once counting over an at-least-once transport. In scale-out mode
 * gateways publish events to NATS JetStream and analysers write them to the
 * store; JetStream redelivers what was not acknowledged, so an event whose
 * batch committed just before an analyser crashed comes back. Each store
 * therefore records the id of every event it counted, in the same
 * transaction as the counters, and skips an id it already holds.
 *
 * A repeat across batches is the same id with the same event time: a
 * redelivery is the same message, byte for byte. Keying the table on
 * (time, id) rather than on the id alone is what makes it cheap: gateway
 * ids are random (UUID v4), so a table keyed on them takes each batch's
 * 1,000 inserts into some 1,000 different B-tree pages, all rewritten at
 * commit (measured in SQLite: 72,000 ids/s keyed on id, 950,000 keyed on
 * (time, id), where a batch's ids land together at the tree's newest end).
 * The time key also serves the prune, so no second index is needed.
 * Within one batch, repeats are found by id alone.
 *
 * This module is the pure part shared by every Store implementation: which
 * key identifies an event, which events of a batch are repeats of one
 * another, and when the table of recorded ids may be pruned.
 */

/**
 * How long recorded ids are kept by default, ms: 1 hour, measured against
 * the newest event time seen (an analyser outage does not expire them). The
 * window need only cover how late a redelivery can come (JetStream
 * redelivers within its ack wait, seconds to minutes); at 20,000 events/s an
 * hour is ~72 M ids, ~10 GB in PostgreSQL (7 days would be 1.8 TB).
 */
export const DEFAULT_DEDUPE_RETENTION_MS = 3_600_000;
/**
 * The embedded SQLite store's default: its recorder never redelivers (a
 * failed batch is dropped and counted), so a short window suffices; at
 * 1,000 requests/s 10 minutes is ~600,000 ids, ~34 MB.
 */
export const DEFAULT_SQLITE_DEDUPE_RETENTION_MS = 10 * 60_000;

/**
 * At most one prune per this interval, ms. The delete walks the time index
 * from its oldest end; running it every batch would cost a statement per
 * batch for a few rows each time.
 */
export const DEDUPE_PRUNE_INTERVAL_MS = 60_000;

/**
 * An event time further ahead of this process's clock than this, ms, does
 * not move the prune horizon: one gateway with a clock set years ahead
 * would otherwise make every id look expired and let redeliveries through.
 */
const MAX_FUTURE_SKEW_MS = 3_600_000;

/**
 * Ids longer than this are stored as a hash. Gateways send UUIDs (36
 * chars); anything else comes from a less careful producer, and an
 * unbounded key would overflow PostgreSQL's B-tree entry limit (2,704
 * bytes) and fail the whole batch.
 */
const MAX_PLAIN_ID_CHARS = 128;

/** PostgreSQL's bigint and SQLite's INTEGER hold this; JavaScript keeps it exact. */
const MAX_TIME = Number.MAX_SAFE_INTEGER;

/**
 * The key under which an event id is recorded, or null when the event has
 * no usable id (it is then counted every time it is seen: it cannot be told
 * apart from a new event, and dropping it would lose data).
 *
 * A plain id is kept as is. An id that is too long, or that PostgreSQL text
 * cannot hold exactly (NUL, lone UTF-16 surrogates, which UTF-8 encoding
 * would turn into U+FFFD and so merge distinct ids), becomes
 * 'sha256:<hex>' of its UTF-16 code units: still exact identity, bounded
 * size. Both stores use the same key, so they agree on what is a repeat.
 */
export function dedupeKey(id: unknown): string | null {
  if (typeof id !== 'string' || id === '') return null;
  if (id.length <= MAX_PLAIN_ID_CHARS && !id.includes('\0') && !id.startsWith('sha256:') && isWellFormed(id)) {
    return id;
  }
  return `sha256:${createHash('sha256').update(id, 'utf16le').digest('hex')}`;
}

// String#isWellFormed is ES2024; the project's lib is ES2023.
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The time recorded with an id, part of its key: the event time as an
 * integer in range. An event without a valid time gets 0, not the clock, so
 * that its redelivery has the same key; the first prune forgets it (such an
 * event is malformed anyway).
 */
export function dedupeTime(time: unknown): number {
  if (typeof time !== 'number' || !Number.isFinite(time)) return 0;
  return Math.max(-MAX_TIME, Math.min(MAX_TIME, Math.trunc(time)));
}

/** A batch split for de-duplication. */
export interface IdentifiedBatch {
  /** the events in batch order, without non-objects and without repeats of an id seen earlier in the batch */
  events: GatewayEvent[];
  /** each event's dedupe key, parallel to `events`; null when it has none */
  keys: (string | null)[];
  /** the distinct keys, in batch order: what to record */
  ids: string[];
  /** the time recorded with each id, parallel to `ids` */
  times: number[];
  /** the newest of `times`, -Infinity when there are none */
  newestTime: number;
}

/** Drop in-batch repeats of an id (the first occurrence wins) and list the ids to record. */
export function identifyBatch(events: readonly GatewayEvent[]): IdentifiedBatch {
  const seen = new Set<string>();
  const batch: IdentifiedBatch = { events: [], keys: [], ids: [], times: [], newestTime: -Infinity };
  for (const event of events) {
    // the aggregation skips these too; dropping them here keeps `keys` parallel
    if (event === null || typeof event !== 'object') continue;
    const key = dedupeKey(event.id);
    if (key !== null) {
      if (seen.has(key)) continue;
      seen.add(key);
      const time = dedupeTime(event.time);
      batch.ids.push(key);
      batch.times.push(time);
      if (time > batch.newestTime) batch.newestTime = time;
    }
    batch.events.push(event);
    batch.keys.push(key);
  }
  return batch;
}

/**
 * The events of `batch` to count, given the ids that the store had not
 * recorded before (`fresh`); events without an id are always counted.
 * Returns `batch.events` itself when nothing was a repeat, so that the
 * caller can tell it may reuse an aggregation made before the transaction.
 */
export function freshEvents(batch: IdentifiedBatch, fresh: ReadonlySet<string>): GatewayEvent[] {
  if (fresh.size === batch.ids.length) return batch.events;
  const out: GatewayEvent[] = [];
  for (let i = 0; i < batch.events.length; i += 1) {
    const key = batch.keys[i];
    if (key === null || key === undefined || fresh.has(key)) out.push(batch.events[i] as GatewayEvent);
  }
  return out;
}

/** Validate the `dedupeRetentionMs` option: a non-negative number of ms (Infinity: never prune). */
export function dedupeRetention(value: number | undefined): number {
  const retention = value ?? DEFAULT_DEDUPE_RETENTION_MS;
  if (typeof retention !== 'number' || Number.isNaN(retention) || retention < 0) {
    throw new RangeError(`dedupeRetentionMs must be a non-negative number of milliseconds, got ${retention}`);
  }
  return retention;
}

/**
 * When to prune the recorded ids, and below which time. The horizon is the
 * newest event time seen minus the retention, not the wall clock: after an
 * analyser outage JetStream redelivers events that are old by the clock but
 * recent in the stream, and replayed history (times in the past) must
 * still be de-duplicated. Each store instance keeps its own schedule.
 */
export class PruneSchedule {
  readonly #retentionMs: number;
  readonly #clock: () => number;
  #newestTime = -Infinity;
  #lastPruneAt = -Infinity;

  constructor(retentionMs: number, clock: () => number) {
    this.#retentionMs = retentionMs;
    this.#clock = clock;
  }

  /** note the newest event time of a batch */
  observe(newestTime: number): void {
    const limit = this.#clock() + MAX_FUTURE_SKEW_MS;
    const time = Math.min(newestTime, limit);
    if (time > this.#newestTime) this.#newestTime = time;
  }

  /**
   * The cutoff (ids with a time below it may go) when a prune is due now,
   * else null. Taking it starts the interval; call `failed()` when the
   * prune did not happen after all.
   */
  take(): number | null {
    if (this.#retentionMs === Infinity || this.#newestTime === -Infinity) return null;
    const now = this.#clock();
    if (now - this.#lastPruneAt < DEDUPE_PRUNE_INTERVAL_MS) return null;
    this.#lastPruneAt = now;
    // Times are integers, so `time < ceil(x)` is `time < x`; an integer
    // cutoff within bigint's range is what the SQL parameter needs.
    return Math.max(-MAX_TIME, Math.ceil(this.#newestTime - this.#retentionMs));
  }

  /** the prune taken last was rolled back or failed: allow the next batch to try again */
  failed(): void {
    this.#lastPruneAt = -Infinity;
  }
}
