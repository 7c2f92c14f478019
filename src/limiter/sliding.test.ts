import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WindowDecision } from './gcra.ts';
import { slidingDecide, slidingExpiresAt, slidingSpend } from './sliding.ts';
import type { SlidingParams, SlidingState } from './sliding.ts';

const T0 = Date.UTC(2030, 0, 1);
const P = 1000;
const B0 = T0 / P;

function decide(state: SlidingState | undefined, now: number, params: SlidingParams): WindowDecision {
  return slidingDecide(state, now, params, { allowed: false, remaining: -1, resetMs: -1, retryAfterMs: -1 });
}

describe('sliding window counter', () => {
  const ten: SlidingParams = { limit: 10, periodMs: P, cost: 1 };

  it('rolls the buckets: same, next (current becomes previous), later (empty)', () => {
    const state: SlidingState = { bucket: B0, current: 6, previous: 4 };
    // same bucket at f = 0.5: 4 * 0.5 + 6 = 8
    assert.deepEqual(decide(state, T0 + 500, ten), { allowed: true, remaining: 1, resetMs: 1500, retryAfterMs: 0 });
    // next bucket at f = 0.5: 6 * 0.5 = 3
    assert.deepEqual(decide(state, T0 + 1500, ten), { allowed: true, remaining: 6, resetMs: 1500, retryAfterMs: 0 });
    // two buckets later: nothing
    assert.deepEqual(decide(state, T0 + 2000, ten), { allowed: true, remaining: 9, resetMs: 2000, retryAfterMs: 0 });
  });

  it('spends by rolling then adding; with `into` no object is allocated', () => {
    const state: SlidingState = { bucket: B0, current: 6, previous: 4 };
    assert.deepEqual(slidingSpend(state, T0 + 10, P, 2), { bucket: B0, current: 8, previous: 4 });
    assert.deepEqual(slidingSpend(state, T0 + 1010, P, 2), { bucket: B0 + 1, current: 2, previous: 6 });
    assert.deepEqual(slidingSpend(state, T0 + 5010, P, 2), { bucket: B0 + 5, current: 2, previous: 0 });
    assert.deepEqual(slidingSpend(undefined, T0, P, 3), { bucket: B0, current: 3, previous: 0 });
    assert.equal(slidingSpend(state, T0, P, 0), state, 'cost 0 spends nothing');
    assert.equal(slidingSpend(undefined, T0, P, 0), undefined);
    const into: SlidingState = { bucket: 0, current: 0, previous: 0 };
    assert.equal(slidingSpend(state, T0 + 1010, P, 1, into), into);
    assert.deepEqual(into, { bucket: B0 + 1, current: 1, previous: 6 });
    // in place: the state itself as `into`
    const own: SlidingState = { bucket: B0, current: 6, previous: 4 };
    slidingSpend(own, T0 + 1010, P, 1, own);
    assert.deepEqual(own, { bucket: B0 + 1, current: 1, previous: 6 });
  });

  it('a clock behind the state spends into the stored bucket', () => {
    const state: SlidingState = { bucket: B0 + 1, current: 2, previous: 1 };
    assert.deepEqual(slidingSpend(state, T0 + 999, P, 1), { bucket: B0 + 1, current: 3, previous: 1 });
  });

  it('expires at the end of the next bucket, or of this one when only previous counts', () => {
    assert.equal(slidingExpiresAt({ bucket: B0, current: 1, previous: 0 }, P), T0 + 2000);
    assert.equal(slidingExpiresAt({ bucket: B0, current: 0, previous: 3 }, P), T0 + 1000);
    assert.equal(slidingExpiresAt({ bucket: B0, current: 0, previous: 0 }, P), 0);
  });

  it('resetMs: end of the next bucket, end of this one, or 0', () => {
    const only = { limit: 1, periodMs: P, cost: 1 };
    assert.equal(decide({ bucket: B0, current: 1, previous: 0 }, T0 + 300, only).resetMs, 1700);
    assert.equal(decide({ bucket: B0, current: 0, previous: 5 }, T0 + 300, only).resetMs, 700);
    assert.equal(decide(undefined, T0 + 300, { ...only, cost: 2 }).resetMs, 0);
  });

  it('a cost above the limit is never admitted; the wait is until the window is empty (at least 1)', () => {
    assert.deepEqual(decide(undefined, T0 + 300, { limit: 3, periodMs: P, cost: 4 }), {
      allowed: false,
      remaining: 3,
      resetMs: 0,
      retryAfterMs: 1,
    });
    assert.deepEqual(decide({ bucket: B0, current: 1, previous: 0 }, T0 + 300, { limit: 3, periodMs: P, cost: 4 }), {
      allowed: false,
      remaining: 2,
      resetMs: 1700,
      retryAfterMs: 1700,
    });
  });

  it('is exact with long periods and large limits (integers below 2^53)', () => {
    const day = 86_400_000;
    const params = { limit: 100_000_000, periodMs: day, cost: 1 };
    const state: SlidingState = { bucket: T0 / day, current: 0, previous: 100_000_000 };
    // f = 1/3 day → previous weighs 2/3: 66,666,666.67 counted
    const at = T0 + day / 3;
    assert.deepEqual(decide(state, at, params), {
      allowed: true,
      remaining: 33_333_332,
      resetMs: 2 * day - day / 3,
      retryAfterMs: 0,
    });
    assert.ok(params.limit * day < Number.MAX_SAFE_INTEGER);
  });
});
