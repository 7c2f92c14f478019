import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONFORMANCE_T0, runLimiterConformance } from './conformance.ts';
import { createMemoryLimiterStore } from './memory-store.ts';
import type { MemoryLimiterStore } from './memory-store.ts';
import type { EvaluateRequest, LimitCheck } from './types.ts';

runLimiterConformance('memory', async () => createMemoryLimiterStore());
runLimiterConformance('memory, exactMax 16, maxKeys 1000', async () => createMemoryLimiterStore({ exactMax: 16, maxKeys: 1000 }));

const T0 = CONFORMANCE_T0;

function gcra(key: string, overrides: Partial<LimitCheck> = {}): LimitCheck {
  return {
    id: 'rule#0',
    key,
    algorithm: 'gcra',
    limit: 1,
    periodMs: 60_000,
    burst: 1,
    cost: 1,
    dryRun: false,
    onFailure: 'open',
    ...overrides,
  };
}

function request(checks: LimitCheck[], now: number): EvaluateRequest {
  return { banKeys: [], checks, escalations: [], now };
}

/** admitted = this key still had its quota (its state was not kept) */
function isFresh(store: MemoryLimiterStore, key: string, now: number): boolean {
  return store.evaluateSync(request([gcra(key, { cost: 0 })], now)).admitted;
}

describe('memory limiter store', () => {
  it('rejects bad options', () => {
    assert.throws(() => createMemoryLimiterStore({ maxKeys: 0 }), RangeError);
    assert.throws(() => createMemoryLimiterStore({ maxKeys: 1.5 }), RangeError);
    assert.throws(() => createMemoryLimiterStore({ exactMax: 0 }), RangeError);
    assert.throws(() => createMemoryLimiterStore({ maxDistinctBytes: 0 }), RangeError);
  });

  it('evaluate() is evaluateSync() in a resolved promise', async () => {
    const store = createMemoryLimiterStore();
    const result = store.evaluate(request([gcra('a')], T0));
    assert.ok(result instanceof Promise);
    assert.equal((await result).admitted, true);
    assert.equal(store.evaluateSync(request([gcra('a')], T0)).admitted, false);
    assert.equal(store.kind, 'memory');
  });

  it('evicts the least recently touched window state beyond maxKeys', () => {
    const store = createMemoryLimiterStore({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c']) store.evaluateSync(request([gcra(key)], T0));
    // a denied request touches too: `a` becomes the freshest
    assert.equal(store.evaluateSync(request([gcra('a')], T0 + 1)).admitted, false);
    store.evaluateSync(request([gcra('d')], T0 + 2));
    assert.equal(store.stats().windows, 3);
    assert.equal(isFresh(store, 'b', T0 + 3), true, '`b` was the stalest and was evicted');
    assert.equal(isFresh(store, 'a', T0 + 3), false);
    assert.equal(isFresh(store, 'c', T0 + 3), false);
    assert.equal(isFresh(store, 'd', T0 + 3), false);
  });

  it('keeps the state of a key in use while a flood of new keys turns the store over', () => {
    const store = createMemoryLimiterStore({ maxKeys: 100 });
    const victim = gcra('victim', { limit: 10, burst: 10, periodMs: 3_600_000 });
    for (let i = 0; i < 10; i++) assert.equal(store.evaluateSync(request([victim], T0)).admitted, true);
    // 5,000 fresh keys (50 times the store), the victim asking again after every 60 of them
    for (let i = 0; i < 5000; i++) {
      store.evaluateSync(request([gcra(`flood${i}`)], T0 + 1));
      if (i % 60 === 59) assert.equal(store.evaluateSync(request([victim], T0 + 1)).admitted, false, `its spent quota is still known after ${i + 1} new keys`);
    }
    assert.equal(store.stats().windows, 100);
  });

  it('spends each check into its own state when spending one evicts another found for the same request', () => {
    // one key only: creating A's state evicts B's, found a moment before to decide
    const store = createMemoryLimiterStore({ maxKeys: 1 });
    const b = gcra('B', { limit: 2, burst: 2 });
    const a = gcra('A', { limit: 2, burst: 2 });
    assert.equal(store.evaluateSync(request([b], T0)).admitted, true);
    assert.equal(store.evaluateSync(request([a, b], T0)).admitted, true);
    assert.equal(store.stats().windows, 1);
    // B's state was evicted by A's and made again with this request's spend only: one unit used, so a
    // look (cost 0, as one unit) leaves none; had B's spend gone into A's slot, B would be untouched
    const look = store.evaluateSync(request([{ ...b, cost: 0 }], T0));
    assert.equal(look.results[0]!.allowed, true);
    assert.equal(look.results[0]!.remaining, 0);
  });

  it('resets expired states in place when read and drops them, on insertion, from the stale end', () => {
    const store = createMemoryLimiterStore({ maxKeys: 100 });
    for (let i = 0; i < 10; i++) store.evaluateSync(request([gcra(`k${i}`)], T0));
    assert.equal(store.stats().windows, 10);
    // all expired at T0 + 60,000; reading one finds it fresh (reset in place, now the most recent)
    assert.equal(isFresh(store, 'k0', T0 + 120_000), true);
    assert.equal(store.stats().windows, 10);
    // each insertion drops two expired entries from the stale end (k1, k2), never the fresh k0
    store.evaluateSync(request([gcra('new')], T0 + 120_000));
    assert.equal(store.stats().windows, 10 - 2 + 1);
    assert.equal(isFresh(store, 'k0', T0 + 120_000), true);
  });

  it('keeps an entry expired less than a second for reuse, and sweeps it after', () => {
    const store = createMemoryLimiterStore({ maxKeys: 100 });
    store.evaluateSync(request([gcra('old')], T0));
    // 'old' expired at T0 + 60,000 (its bucket refilled), 500 ms ago: an insertion leaves it
    store.evaluateSync(request([gcra('a')], T0 + 60_500));
    assert.equal(store.stats().windows, 2);
    // long expired: swept by the next insertion
    store.evaluateSync(request([gcra('b')], T0 + 120_000));
    assert.equal(store.stats().windows, 2);
  });

  it('resets a state whose algorithm changed under the same id and key', () => {
    const store = createMemoryLimiterStore();
    store.evaluateSync(request([gcra('a')], T0));
    assert.equal(store.evaluateSync(request([gcra('a')], T0)).admitted, false);
    const asSliding = gcra('a', { algorithm: 'sliding' });
    assert.equal(store.evaluateSync(request([asSliding], T0)).admitted, true);
    assert.equal(store.evaluateSync(request([asSliding], T0)).admitted, false);
    assert.equal(store.evaluateSync(request([gcra('a')], T0)).admitted, true);
  });

  it('keeps distinct states under maxDistinctBytes by evicting the stalest', () => {
    const store = createMemoryLimiterStore({ maxDistinctBytes: 200_000 });
    const distinct = (key: string, member: string): LimitCheck =>
      gcra(key, { id: 'members#0', algorithm: 'distinct', limit: 10_000, periodMs: 60_000, member });
    for (let k = 0; k < 20; k++) {
      for (let m = 0; m < 200; m++) store.evaluateSync(request([distinct(`ip${k}`, `m${m}`)], T0));
      assert.ok(store.stats().distinctBytes <= 200_000, `after key ${k}: ${store.stats().distinctBytes}`);
    }
    assert.ok(store.stats().windows < 20);
    // the freshest key kept its members
    const last = store.evaluateSync(request([distinct('ip19', 'new')], T0)).results[0];
    assert.equal(last?.remaining, 10_000 - 201);
    const first = store.evaluateSync(request([distinct('ip0', 'new')], T0)).results[0];
    assert.equal(first?.remaining, 10_000 - 1, 'the stalest key was evicted');
  });

  it('the same hashKey gives the same approximate answers', () => {
    const check = (member: string): LimitCheck =>
      gcra('k', { id: 'members#0', algorithm: 'distinct', limit: 100_000, periodMs: 60_000, member });
    const answers = (store: MemoryLimiterStore): number[] => {
      const out: number[] = [];
      for (let i = 0; i < 2000; i++) out.push(store.evaluateSync(request([check(`m${i}`)], T0)).results[0]!.remaining);
      return out;
    };
    assert.deepEqual(answers(createMemoryLimiterStore({ hashKey: 's' })), answers(createMemoryLimiterStore({ hashKey: 's' })));
  });

  it('caps bans at maxKeys, dropping expired ones first, then the oldest', async () => {
    const store = createMemoryLimiterStore({ maxKeys: 8 });
    store.evaluateSync(request([], T0));
    await store.addBan({ key: 'expired', until: T0 - 1, level: 0, reason: 'operator' });
    for (let i = 0; i < 7; i++) await store.addBan({ key: `b${i}`, until: T0 + 1000 + i, level: 0, reason: 'operator' });
    assert.equal(store.stats().bans, 8);
    await store.addBan({ key: 'b7', until: T0 + 5000, level: 0, reason: 'operator' });
    // full: the expired one made room
    assert.equal(store.stats().bans, 8);
    await store.addBan({ key: 'b8', until: T0 + 6000, level: 0, reason: 'operator' });
    // full again, nothing expired: the oldest (b0) went
    assert.equal(store.stats().bans, 8);
    const keys = (await store.listBans(T0, 100)).map((ban) => ban.key);
    assert.deepEqual(keys, ['b8', 'b7', 'b6', 'b5', 'b4', 'b3', 'b2', 'b1']);
  });

  it('caps escalation entries at maxKeys in their own map', () => {
    const store = createMemoryLimiterStore({ maxKeys: 16 });
    const strict = gcra('x', { limit: 1, periodMs: 1e9 });
    store.evaluateSync(request([strict], T0));
    for (let i = 0; i < 100; i++) {
      store.evaluateSync({
        banKeys: [],
        checks: [strict],
        escalations: [
          {
            checkIds: ['rule#0'],
            banKey: `ip:${i}`,
            after: 5,
            withinMs: 60_000,
            durationsMs: [1000],
            resetAfterMs: 1000,
            reason: 'r',
          },
        ],
        now: T0 + 1,
      });
      assert.ok(store.stats().escalations <= 16);
    }
    assert.equal(store.stats().windows, 1);
  });

  it('refuses calls once closed', async () => {
    const store = createMemoryLimiterStore();
    store.evaluateSync(request([gcra('a')], T0));
    await store.close();
    assert.deepEqual(store.stats(), { windows: 0, escalations: 0, bans: 0, distinctBytes: 0 });
    await assert.rejects(store.evaluate(request([gcra('a')], T0)), /closed/);
    await assert.rejects(store.record([gcra('a')], T0), /closed/);
    assert.throws(() => store.evaluateSync(request([], T0)), /closed/);
  });
});
