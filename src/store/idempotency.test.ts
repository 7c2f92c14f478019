import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import type { GatewayEvent } from '../events/types.ts';
import { makeTestEvent } from './conformance.ts';
import {
  DEDUPE_PRUNE_INTERVAL_MS,
  DEFAULT_DEDUPE_RETENTION_MS,
  dedupeKey,
  dedupeRetention,
  dedupeTime,
  freshEvents,
  identifyBatch,
  PruneSchedule,
} from './idempotency.ts';
import { createSqliteStore } from './sqlite.ts';

/**
 * The pure de-duplication helpers, and the prune of the SQLite store's id
 * table (the PostgreSQL one is in postgres.test.ts; both stores' counting
 * once is in the conformance suite).
 */

const NOW = Date.UTC(2025, 5, 1);

describe('dedupeKey', () => {
  test('a plain id is its own key; no id, an empty one or a non-string has none', () => {
    assert.equal(dedupeKey('3b241101-e2bb-4255-8caf-4136c566a962'), '3b241101-e2bb-4255-8caf-4136c566a962');
    assert.equal(dedupeKey('x'.repeat(128)), 'x'.repeat(128));
    for (const id of [undefined, null, '', 42, {}]) assert.equal(dedupeKey(id), null);
  });

  test('long, NUL-bearing, ill-formed and hash-like ids become distinct bounded hashes', () => {
    const odd = ['x'.repeat(129), 'x'.repeat(130), 'a\u0000', 'a\u0000b', 'a\ud800', 'a\udc00', 'sha256:abc'];
    const keys = odd.map(dedupeKey);
    assert.equal(new Set(keys).size, odd.length);
    for (const key of keys) assert.match(key ?? '', /^sha256:[0-9a-f]{64}$/);
    // stable: the same id gives the same key on every analyser
    assert.equal(dedupeKey('a\u0000'), keys[2]);
    // a hash key never equals a plain one, even one that looks like it
    assert.notEqual(dedupeKey(keys[0]), keys[0]);
  });
});

test('dedupeTime keeps integer times in range, and a fixed 0 when there is none (a redelivery has the same key)', () => {
  assert.equal(dedupeTime(NOW + 0.9), NOW);
  assert.equal(dedupeTime(Number.NaN), 0);
  assert.equal(dedupeTime(Infinity), 0);
  assert.equal(dedupeTime('12'), 0);
  assert.equal(dedupeTime(1e300), Number.MAX_SAFE_INTEGER);
  assert.equal(dedupeTime(-1e300), -Number.MAX_SAFE_INTEGER);
});

describe('identifyBatch and freshEvents', () => {
  test('the first of repeated ids is kept, order is kept, events without an id always count', () => {
    const a = makeTestEvent({ id: 'a', time: NOW + 1 });
    const b = makeTestEvent({ id: 'b', time: NOW + 5 });
    const anonymous = makeTestEvent({ id: '' });
    const batch = identifyBatch([a, null as unknown as GatewayEvent, b, { ...a, status: 500 }, anonymous, anonymous, b]);
    assert.deepEqual(batch.events, [a, b, anonymous, anonymous]);
    assert.deepEqual(batch.keys, ['a', 'b', null, null]);
    assert.deepEqual(batch.ids, ['a', 'b']);
    assert.deepEqual(batch.times, [NOW + 1, NOW + 5]);
    assert.equal(batch.newestTime, NOW + 5);

    // all fresh: the same array, so the caller reuses its aggregation
    assert.equal(freshEvents(batch, new Set(['a', 'b'])), batch.events);
    assert.deepEqual(freshEvents(batch, new Set(['b'])), [b, anonymous, anonymous]);
    assert.deepEqual(freshEvents(batch, new Set()), [anonymous, anonymous]);
  });

  test('a batch without ids has no newest time', () => {
    assert.equal(identifyBatch([makeTestEvent({ id: '' })]).newestTime, -Infinity);
  });
});

describe('PruneSchedule', () => {
  test('prunes at most once a minute, below the newest time seen minus the retention', () => {
    let now = NOW;
    const schedule = new PruneSchedule(1_000, () => now);
    assert.equal(schedule.take(), null, 'nothing seen yet');
    schedule.observe(NOW - 50_000);
    assert.equal(schedule.take(), NOW - 51_000);
    schedule.observe(NOW - 10_000);
    assert.equal(schedule.take(), null, 'within the minute');
    now += DEDUPE_PRUNE_INTERVAL_MS;
    assert.equal(schedule.take(), NOW - 11_000);
    // an older batch does not move the horizon back
    schedule.observe(NOW - 90_000);
    now += DEDUPE_PRUNE_INTERVAL_MS;
    assert.equal(schedule.take(), NOW - 11_000);
  });

  test('a failed prune may be retried at once', () => {
    const schedule = new PruneSchedule(0, () => NOW);
    schedule.observe(NOW);
    assert.equal(schedule.take(), NOW);
    assert.equal(schedule.take(), null);
    schedule.failed();
    assert.equal(schedule.take(), NOW);
  });

  test('an event time far ahead of the clock does not expire everything', () => {
    const schedule = new PruneSchedule(DEFAULT_DEDUPE_RETENTION_MS, () => NOW);
    schedule.observe(Date.UTC(2099, 0, 1));
    assert.equal(schedule.take(), NOW + 3_600_000 - DEFAULT_DEDUPE_RETENTION_MS);
  });

  test('an infinite retention never prunes; a fractional one gives an integer cutoff', () => {
    const never = new PruneSchedule(Infinity, () => NOW);
    never.observe(NOW);
    assert.equal(never.take(), null);
    const fractional = new PruneSchedule(0.5, () => NOW);
    fractional.observe(NOW);
    assert.equal(fractional.take(), NOW);
  });

  test('the retention option is checked', () => {
    assert.equal(dedupeRetention(undefined), 3_600_000);
    assert.equal(dedupeRetention(0), 0);
    assert.throws(() => dedupeRetention(-1), RangeError);
    assert.throws(() => dedupeRetention(Number.NaN), RangeError);
  });
});

describe('sqlite store: the id table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-idempotency-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('ids past the window are pruned once a minute, in the write transaction', async () => {
    const file = join(dir, 'prune.db');
    let now = NOW;
    const store = createSqliteStore(file, { dedupeRetentionMs: 10_000, clock: () => now });
    const ids = (): string[] => {
      const db = new DatabaseSync(file);
      try {
        return db.prepare('SELECT id FROM recorded_events ORDER BY id').all().map((r) => r.id as string);
      } finally {
        db.close();
      }
    };
    const old = makeTestEvent({ id: 'old', time: 1_000 });
    await store.recordEvents([old]);
    await store.recordEvents([makeTestEvent({ id: 'new', time: 60_000 })]);
    assert.deepEqual(ids(), ['new', 'old'], 'no second prune within the minute');
    now += DEDUPE_PRUNE_INTERVAL_MS;
    await store.recordEvents([makeTestEvent({ id: 'newer', time: 61_000 })]);
    assert.deepEqual(ids(), ['new', 'newer']);
    // forgotten, so a copy this late counts again: the window's price
    await store.recordEvents([old]);
    assert.equal((await store.listEndpoints())[0]?.total, 4);
    await store.close();
  });

  test('a file from before the id table (schema 2) is upgraded in place and keeps its counts', async () => {
    const file = join(dir, 'upgrade.db');
    const event = makeTestEvent();
    let store = createSqliteStore(file);
    await store.recordEvents([event]);
    await store.close();
    // back to what an apiwarden without the id table left behind
    const db = new DatabaseSync(file);
    db.exec('DROP TABLE recorded_events; DROP TABLE alerts; DELETE FROM schema_version WHERE version >= 3');
    db.close();
    store = createSqliteStore(file);
    await store.recordEvents([makeTestEvent()]);
    // ids recorded before the upgrade are not known: that one counts again, once
    await store.recordEvents([event]);
    await store.recordEvents([event]);
    assert.equal((await store.listEndpoints())[0]?.total, 3);
    await store.close();
  });

  test('a batch that fails records no id, so that its retry counts', async () => {
    const file = join(dir, 'locked.db');
    const store = createSqliteStore(file, { busyTimeoutMs: 20 });
    const batch = [makeTestEvent(), makeTestEvent()];
    const other = new DatabaseSync(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(store.recordEvents(batch), { code: 'STORE_WRITE_FAILED' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await store.recordEvents(batch);
    await store.recordEvents(batch);
    assert.equal((await store.listEndpoints())[0]?.total, 2);
    await store.close();
  });
});
