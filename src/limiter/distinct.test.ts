import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createDistinctState,
  distinctAdd,
  distinctByteSize,
  distinctDecide,
  distinctExpiresAt,
} from './distinct.ts';
import type { DistinctOptions, DistinctParams, DistinctState } from './distinct.ts';
import type { WindowDecision } from './gcra.ts';

const T0 = Date.UTC(2030, 0, 1);
/** P = 4 s: sub-buckets of 1 s; sub-bucket k (from T0) leaves at T0 + (k + 5) s */
const P = 4000;

function decide(
  state: DistinctState | undefined,
  now: number,
  params: DistinctParams,
  member: string | undefined,
  options: DistinctOptions,
): WindowDecision {
  return distinctDecide(state, now, params, member, options, { allowed: false, remaining: -1, resetMs: -1, retryAfterMs: -1 });
}

/** decides and, when allowed, adds: what the store does for one check */
function touch(state: DistinctState, now: number, params: DistinctParams, member: string, options: DistinctOptions): boolean {
  const allowed = decide(state, now, params, member, options).allowed;
  if (allowed) distinctAdd(state, now, params.periodMs, member, options);
  return allowed;
}

describe('distinct', () => {
  const exact: DistinctOptions = { exactMax: 256, hashKey: 'k' };

  it('a fresh key allows any member, and a limit of 0 allows none', () => {
    assert.deepEqual(decide(undefined, T0 + 250, { limit: 3, periodMs: P }, 'a', exact), {
      allowed: true,
      remaining: 2,
      resetMs: 4750,
      retryAfterMs: 0,
    });
    assert.deepEqual(decide(createDistinctState(), T0, { limit: 3, periodMs: P }, 'a', exact).remaining, 2);
    assert.equal(decide(undefined, T0, { limit: 0, periodMs: P }, 'a', exact).allowed, false);
  });

  it('a check without a member only looks: decided as a new member, adds nothing', () => {
    const state = createDistinctState();
    distinctAdd(state, T0, P, 'a', exact);
    distinctAdd(state, T0, P, undefined, exact);
    assert.deepEqual(decide(state, T0, { limit: 2, periodMs: P }, undefined, exact), {
      allowed: true,
      remaining: 0,
      resetMs: 5000,
      retryAfterMs: 0,
    });
    assert.equal(decide(state, T0, { limit: 1, periodMs: P }, undefined, exact).allowed, false);
  });

  it('expires when its newest sub-bucket leaves the window', () => {
    const state = createDistinctState();
    assert.equal(distinctExpiresAt(state, P), 0);
    distinctAdd(state, T0 + 1500, P, 'a', exact);
    assert.equal(distinctExpiresAt(state, P), T0 + 6000);
    // a period that is not a multiple of 4: sub-buckets of 2.5 ms, edges rounded up
    const odd = createDistinctState();
    distinctAdd(odd, 1, 10, 'a', exact);
    assert.equal(distinctExpiresAt(odd, 10), 13);
  });

  it('touching moves a member: the retry wait is when the window first loses one', () => {
    const params = { limit: 2, periodMs: P };
    const state = createDistinctState();
    assert.equal(touch(state, T0, params, 'a', exact), true);
    assert.equal(touch(state, T0 + 1000, params, 'b', exact), true);
    assert.equal(touch(state, T0 + 2000, params, 'a', exact), true);
    // `a` no longer holds sub-bucket 0: the first to leave is `b` (sub-bucket 1, at 6 s)
    assert.deepEqual(decide(state, T0 + 2000, params, 'c', exact), {
      allowed: false,
      remaining: 0,
      resetMs: 5000,
      retryAfterMs: 4000,
    });
  });

  describe('past exactMax', () => {
    const small: DistinctOptions = { exactMax: 4, hashKey: 'k' };

    it('a sub-bucket becomes a sketch; small unions are still counted to ±1', () => {
      const params = { limit: 100, periodMs: P };
      const state = createDistinctState();
      for (let i = 0; i < 30; i++) distinctAdd(state, T0 + (i % 3) * 1000, P, `m${i}`, small);
      const result = decide(state, T0 + 2000, params, 'new', small);
      assert.equal(result.allowed, true);
      assert.ok(Math.abs(result.remaining - 69) <= 1, `remaining ${result.remaining}`);
      // the union follows adds in the current sub-bucket without a rebuild
      for (let i = 30; i < 40; i++) distinctAdd(state, T0 + 2000, P, `m${i}`, small);
      const after = decide(state, T0 + 2000, params, 'new', small);
      assert.ok(Math.abs(after.remaining - 59) <= 1, `remaining ${after.remaining}`);
    });

    it('at the limit, a member only a sketch holds is denied; one an exact sub-bucket holds is not', () => {
      const params = { limit: 5, periodMs: P };
      const state = createDistinctState();
      for (const member of ['a', 'b', 'c', 'd', 'e']) assert.equal(touch(state, T0, params, member, small), true);
      // sub-bucket 0 holds 5 > exactMax: a sketch, whose membership is unknown
      assert.equal(decide(state, T0, params, 'a', small).allowed, false);
      assert.equal(decide(state, T0, params, 'z', small).allowed, false);
      distinctAdd(state, T0 + 1000, P, 'a', small);
      assert.equal(decide(state, T0 + 1000, params, 'a', small).allowed, true, '`a` is in the exact sub-bucket 1');
      assert.equal(decide(state, T0 + 1000, params, 'b', small).allowed, false);
    });

    it('counts exactly again once the sketch has left the window', () => {
      const params = { limit: 3, periodMs: P };
      const state = createDistinctState();
      for (let i = 0; i < 10; i++) distinctAdd(state, T0, P, `m${i}`, small);
      distinctAdd(state, T0 + 1000, P, 'x', small);
      assert.equal(decide(state, T0 + 4999, params, 'y', small).allowed, false);
      const bytesWithSketch = distinctByteSize(state, T0 + 4999, P);
      // sub-bucket 0 left at 5 s: only `x` (exact) remains
      assert.deepEqual(decide(state, T0 + 5000, params, 'x', small), { allowed: true, remaining: 2, resetMs: 5000, retryAfterMs: 0 });
      assert.deepEqual(decide(state, T0 + 5000, params, 'y', small), { allowed: true, remaining: 1, resetMs: 5000, retryAfterMs: 0 });
      distinctAdd(state, T0 + 5000, P, 'y', small);
      assert.ok(distinctByteSize(state, T0 + 5000, P) < bytesWithSketch, 'the sketch slot was reused and the union dropped');
    });
  });

  it('byte size grows with members and is bounded by sketches', () => {
    const options: DistinctOptions = { exactMax: 256, hashKey: 'k' };
    const state = createDistinctState();
    const empty = distinctByteSize(state, T0, P);
    for (let i = 0; i < 200; i++) distinctAdd(state, T0, P, `m${i}`, options);
    const exactBytes = distinctByteSize(state, T0, P);
    assert.ok(exactBytes > empty + 200 * 50, `${exactBytes}`);
    for (let i = 0; i < 100_000; i++) distinctAdd(state, T0 + (i % 5) * 1000, P, `n${i}`, options);
    decide(state, T0 + 4000, { limit: 10, periodMs: P }, 'q', options);
    // five dense sketches and the union: about 6 × 16 KiB
    const bytes = distinctByteSize(state, T0 + 4000, P);
    assert.ok(bytes < 7 * 17_000, `${bytes}`);
  });
});
