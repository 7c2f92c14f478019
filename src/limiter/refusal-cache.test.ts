import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createMemoryLimiterStore } from './memory-store.ts';
import { createRefusalCache } from './refusal-cache.ts';
import type { RefusalCache } from './refusal-cache.ts';
import type { EvaluateRequest, EvaluateResult, LimitCheck } from './types.ts';

const T0 = Date.UTC(2030, 0, 1);

function gcra(overrides: Partial<LimitCheck> = {}): LimitCheck {
  return { id: 'lookups#0', key: 'phone=+15551234567', algorithm: 'gcra', limit: 100, periodMs: 1000, burst: 100, cost: 1, dryRun: false, onFailure: 'local', ...overrides };
}

function request(checks: LimitCheck[], now: number): EvaluateRequest {
  return { banKeys: [], checks, escalations: [], now };
}

/** the cache's answer, which must not be a wait for another request */
function answer(cache: RefusalCache, req: EvaluateRequest): EvaluateResult | null {
  const found = cache.find(req);
  assert.ok(!(found instanceof Promise), 'no request of this test is asking the store');
  return found;
}

describe('refusal cache', () => {
  it('answers a refusal until its last refusing window can admit, the waits counted down', () => {
    const store = createMemoryLimiterStore();
    const cache = createRefusalCache(100);
    // 2 per second and 3 per minute: the third request is refused by both, the minute window for longer
    const checks = [gcra({ id: 's#0', limit: 2, burst: 2 }), gcra({ id: 'm#0', limit: 3, periodMs: 60_000, burst: 2 })];
    for (let i = 0; i < 2; i++) assert.equal(store.evaluateSync(request(checks, T0)).admitted, true);
    const refused = store.evaluateSync(request(checks, T0));
    assert.equal(refused.admitted, false);
    cache.remember(request(checks, T0), refused);
    const later = answer(cache, request(checks, T0 + 600));
    assert.ok(later !== null, 'refused after the second window frees, while the minute window still refuses');
    assert.equal(later.admitted, false);
    assert.deepEqual(later.results.map((r) => r.allowed), [true, false], 'the second window would admit by now');
    assert.equal(later.results[1]!.retryAfterMs, refused.results[1]!.retryAfterMs - 600);
    assert.equal(answer(cache, request(checks, T0 + refused.results[1]!.retryAfterMs)), null, 'ends when the request could be admitted');
  });

  it('remembers that an admission used the last unit: the same request is refused until the next one frees', () => {
    const store = createMemoryLimiterStore();
    const cache = createRefusalCache(100);
    const checks = [gcra()];
    let last = store.evaluateSync(request(checks, T0));
    cache.remember(request(checks, T0), last);
    assert.equal(cache.size, 0, 'a window with room left derives nothing');
    for (let i = 1; i < 100; i++) last = store.evaluateSync(request(checks, T0));
    assert.equal(last.admitted, true);
    assert.equal(last.results[0]!.remaining, 0);
    cache.remember(request(checks, T0), last);
    const next = answer(cache, request(checks, T0 + 5));
    assert.ok(next !== null && !next.admitted);
    assert.equal(next.results[0]!.retryAfterMs, 5, 'one unit frees every 10 ms');
    assert.equal(store.evaluateSync(request(checks, T0 + 5)).admitted, false, 'and the store agrees');
    assert.ok(answer(cache, request(checks, T0 + 9)) !== null);
    assert.equal(store.evaluateSync(request(checks, T0 + 9)).admitted, false);
    assert.equal(answer(cache, request(checks, T0 + 10)), null, 'the store admits from 10 ms on');
    assert.equal(store.evaluateSync(request(checks, T0 + 10)).admitted, true);
    assert.equal(cache.hits, 2);
  });

  it('derives nothing from admissions it cannot foresee: sliding windows, dry runs, look-only checks', () => {
    const cache = createRefusalCache(100);
    for (const c of [gcra({ algorithm: 'sliding' }), gcra({ dryRun: true }), gcra({ cost: 0 })]) {
      const store = createMemoryLimiterStore();
      const checks = [gcra({ id: 'other#0', limit: 1, burst: 1 }), c];
      const admitted = store.evaluateSync(request(checks, T0));
      assert.equal(admitted.admitted, true);
      cache.remember(request(checks, T0), admitted);
      assert.equal(answer(cache, request(checks, T0 + 1)), null, `${c.algorithm}, dryRun ${c.dryRun}, cost ${c.cost}`);
    }
  });

  it('never refuses what the store would admit (property: random GCRA windows, costs and arrival times)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ limit: fc.integer({ min: 1, max: 50 }), periodMs: fc.integer({ min: 10, max: 5000 }), burstShare: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 300 }),
        (windows, cost, gaps) => {
          const checks = windows.map((w, i) => gcra({ id: `w#${i}`, limit: w.limit, periodMs: w.periodMs, burst: Math.max(cost, Math.ceil(w.limit * w.burstShare)), cost }));
          const truth = createMemoryLimiterStore();
          const cache = createRefusalCache(16);
          let now = T0;
          for (const gap of gaps) {
            now += gap;
            const req = request(checks, now);
            const cached = answer(cache, req);
            const decided = truth.evaluateSync(req);
            if (cached !== null) {
              assert.equal(decided.admitted, false, `the cache refused at +${now - T0} ms what the store admits`);
              // the store's own wait is never shorter than the one reported from the cache
              const wait = (r: typeof decided) => Math.max(...r.results.map((x) => x.retryAfterMs));
              assert.ok(wait(cached) <= wait(decided), `cached wait ${wait(cached)} > store's ${wait(decided)}`);
            } else {
              cache.remember(req, decided);
              cache.settle(req);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lets one request renew an ended refusal while the same requests wait for its answer', async () => {
    const store = createMemoryLimiterStore();
    const cache = createRefusalCache(100);
    const checks = [gcra({ limit: 1, burst: 1 })];
    assert.equal(store.evaluateSync(request(checks, T0)).admitted, true);
    const refused = store.evaluateSync(request(checks, T0));
    cache.remember(request(checks, T0), refused);
    cache.settle(request(checks, T0));
    const end = T0 + refused.results[0]!.retryAfterMs;
    assert.equal(cache.find(request(checks, end)), null, 'the first request after the end asks the store');
    const waiting = cache.find(request(checks, end + 1));
    assert.ok(waiting instanceof Promise, 'the same request meanwhile waits');
    // the store admits the first, which uses the only unit: the waiter is refused without asking
    const admitted = store.evaluateSync(request(checks, end));
    assert.equal(admitted.admitted, true);
    cache.remember(request(checks, end), admitted);
    cache.settle(request(checks, end));
    await waiting;
    const after = answer(cache, request(checks, end + 1));
    assert.ok(after !== null && !after.admitted);
    assert.equal(store.evaluateSync(request(checks, end + 1)).admitted, false);

    // an answer that implies nothing (here: the call failed) sends the waiters to the store themselves
    const later = T0 + 10_000;
    assert.equal(cache.find(request(checks, later)), null);
    const waiter = cache.find(request(checks, later));
    assert.ok(waiter instanceof Promise);
    cache.settle(request(checks, later));
    await waiter;
    assert.equal(cache.find(request(checks, later)), null);
    assert.equal(cache.size, 0);
  });
});
