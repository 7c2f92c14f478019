import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEventBus } from '../events/bus.ts';
import type { GatewayEvent } from '../events/types.ts';
import { makeTestEvent } from './conformance.ts';
import { createEventRecorder } from './recorder.ts';
import { createSqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

const HOUR = 3_600_000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A stand-in for a store that fails or stalls on demand, to reach the
 * failure paths; the happy path uses the real SQLite store.
 */
function fakeStore(behaviour: (batch: readonly GatewayEvent[], call: number) => Promise<void> | void): Store & {
  batches: GatewayEvent[][];
  maxConcurrent: number;
} {
  let running = 0;
  const fake = {
    batches: [] as GatewayEvent[][],
    maxConcurrent: 0,
    async recordEvents(events: readonly GatewayEvent[]) {
      running += 1;
      fake.maxConcurrent = Math.max(fake.maxConcurrent, running);
      try {
        fake.batches.push([...events]);
        await behaviour(events, fake.batches.length);
      } finally {
        running -= 1;
      }
    },
    async listEndpoints() {
      return [];
    },
    async saveInventory() {},
    async listInventory() {
      return [];
    },
    async saveAlerts() {},
    async listAlerts() {
      return [];
    },
    async close() {},
  };
  return fake;
}

/** a promise with its resolver, to hold a fake write open */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('event recorder', () => {
  test('records bus events in the SQLite store', async () => {
    const store = createSqliteStore(':memory:');
    const recorder = createEventRecorder(store, { flushIntervalMs: HOUR });
    const bus = createEventBus();
    bus.subscribe(recorder.listener);
    for (let i = 0; i < 2500; i += 1) {
      bus.publish(makeTestEvent({ template: `/t${i % 5}`, time: 1000 + i }));
    }
    await recorder.close();
    const records = await store.listEndpoints();
    assert.equal(records.length, 5);
    assert.deepEqual(records.map((r) => r.total), [500, 500, 500, 500, 500]);
    assert.deepEqual({ ...recorder.stats }, { recorded: 2500, dropped: 0, failedWrites: 0, pending: 0 });
    await store.close();
  });

  test('the listener only buffers: nothing is written during publish', () => {
    const store = fakeStore(() => {});
    const recorder = createEventRecorder(store, { flushIntervalMs: HOUR, maxBatch: 2 });
    recorder.listener(makeTestEvent());
    recorder.listener(makeTestEvent());
    recorder.listener(makeTestEvent());
    assert.equal(store.batches.length, 0);
    assert.equal(recorder.stats.pending, 3);
    return recorder.close();
  });

  test('the timer flushes a partial batch', async () => {
    const store = createSqliteStore(':memory:');
    const recorder = createEventRecorder(store, { flushIntervalMs: 10 });
    recorder.listener(makeTestEvent());
    for (let i = 0; i < 100 && recorder.stats.recorded === 0; i += 1) await sleep(5);
    assert.equal(recorder.stats.recorded, 1);
    assert.equal((await store.listEndpoints())[0]?.total, 1);
    await recorder.close();
    await store.close();
  });

  test('a full batch is written on the next turn, without waiting for the timer', async () => {
    const store = fakeStore(() => {});
    const recorder = createEventRecorder(store, { flushIntervalMs: HOUR, maxBatch: 3 });
    recorder.listener(makeTestEvent());
    recorder.listener(makeTestEvent());
    await nextTurn();
    assert.equal(store.batches.length, 0);
    recorder.listener(makeTestEvent());
    await nextTurn();
    await nextTurn();
    assert.deepEqual(store.batches.map((b) => b.length), [3]);
    await recorder.close();
  });

  test('batches never exceed maxBatch, and one write runs at a time', async () => {
    const store = fakeStore(() => sleep(1));
    const recorder = createEventRecorder(store, { flushIntervalMs: 1, maxBatch: 7 });
    for (let i = 0; i < 100; i += 1) {
      recorder.listener(makeTestEvent());
      if (i % 10 === 0) void recorder.flush();
      if (i % 30 === 0) await sleep(2);
    }
    await Promise.all([recorder.flush(), recorder.flush()]);
    await recorder.close();
    assert.equal(store.maxConcurrent, 1);
    assert.ok(store.batches.every((b) => b.length <= 7));
    assert.equal(store.batches.reduce((n, b) => n + b.length, 0), 100);
    assert.equal(recorder.stats.recorded, 100);
  });

  test('a failed write is reported, counted and its events dropped; the next write goes on', async () => {
    const errors: unknown[] = [];
    const store = fakeStore((_batch, call) => {
      if (call === 1) throw new Error('disk full');
    });
    const recorder = createEventRecorder(store, { flushIntervalMs: HOUR, maxBatch: 2, onError: (e) => errors.push(e) });
    recorder.listener(makeTestEvent());
    recorder.listener(makeTestEvent());
    recorder.listener(makeTestEvent());
    await recorder.flush();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as Error).message, 'disk full');
    assert.deepEqual({ ...recorder.stats }, { recorded: 1, dropped: 2, failedWrites: 1, pending: 0 });
    // nothing retried
    assert.deepEqual(store.batches.map((b) => b.length), [2, 1]);
    await recorder.close();
  });

  test('a store that throws synchronously, and an onError that throws, reach nobody', async () => {
    const store: Store = {
      recordEvents() {
        throw new Error('sync failure');
      },
      async listEndpoints() {
        return [];
      },
      async saveInventory() {},
      async listInventory() {
        return [];
      },
      async saveAlerts() {},
      async listAlerts() {
        return [];
      },
      async close() {},
    };
    const recorder = createEventRecorder(store, {
      flushIntervalMs: HOUR,
      onError() {
        throw new Error('reporter failure');
      },
    });
    const bus = createEventBus((error) => assert.fail(`the bus saw ${String(error)}`));
    bus.subscribe(recorder.listener);
    bus.publish(makeTestEvent());
    await recorder.flush();
    await recorder.close();
    assert.deepEqual({ ...recorder.stats }, { recorded: 0, dropped: 1, failedWrites: 1, pending: 0 });
  });

  test('past maxPending the oldest events are dropped and counted', async () => {
    const hold = gate();
    const store = fakeStore((_batch, call) => (call === 1 ? hold.promise : undefined));
    const recorder = createEventRecorder(store, { flushIntervalMs: HOUR, maxBatch: 2, maxPending: 5 });
    const events = Array.from({ length: 12 }, (_, i) => makeTestEvent({ id: `e${i}` }));
    recorder.listener(events[0]!);
    recorder.listener(events[1]!);
    await nextTurn(); // the first batch [e0, e1] is now stuck in the store
    for (const event of events.slice(2)) recorder.listener(event);
    assert.equal(recorder.stats.pending, 5);
    assert.equal(recorder.stats.dropped, 5);
    hold.open();
    await recorder.close();
    assert.deepEqual(
      store.batches.flat().map((e) => e.id),
      ['e0', 'e1', 'e7', 'e8', 'e9', 'e10', 'e11'],
    );
    assert.deepEqual({ ...recorder.stats }, { recorded: 7, dropped: 5, failedWrites: 0, pending: 0 });
  });

  test('a stalled store holds at most maxPending events', async () => {
    const hold = gate();
    const store = fakeStore(() => hold.promise);
    const recorder = createEventRecorder(store, { flushIntervalMs: 1, maxBatch: 10, maxPending: 50 });
    for (let i = 0; i < 10_000; i += 1) recorder.listener(makeTestEvent());
    await sleep(5);
    assert.ok(recorder.stats.pending <= 50);
    assert.equal(recorder.stats.pending + recorder.stats.dropped + 10, 10_000);
    hold.open();
    await recorder.close();
    assert.equal(recorder.stats.recorded + recorder.stats.dropped, 10_000);
  });

  test('close writes what is left, is idempotent, and later events are dropped', async () => {
    const store = createSqliteStore(':memory:');
    const recorder = createEventRecorder(store, { flushIntervalMs: HOUR });
    recorder.listener(makeTestEvent());
    recorder.listener(makeTestEvent());
    const closing = recorder.close();
    assert.equal(recorder.close(), closing);
    await closing;
    assert.equal((await store.listEndpoints())[0]?.total, 2);
    recorder.listener(makeTestEvent());
    await recorder.flush();
    assert.deepEqual({ ...recorder.stats }, { recorded: 2, dropped: 1, failedWrites: 0, pending: 0 });
    await store.close();
  });

  test('rejects nonsense options', () => {
    const store = fakeStore(() => {});
    assert.throws(() => createEventRecorder(store, { flushIntervalMs: 0 }), RangeError);
    assert.throws(() => createEventRecorder(store, { flushIntervalMs: 10, maxBatch: 0 }), RangeError);
    assert.throws(() => createEventRecorder(store, { flushIntervalMs: 10, maxPending: 1.5 }), RangeError);
  });
});
