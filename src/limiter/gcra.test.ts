import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gcraDecide, gcraEpsilon, gcraSpend } from './gcra.ts';
import type { GcraParams, WindowDecision } from './gcra.ts';

const T0 = Date.UTC(2030, 0, 1);

function decide(tat: number, now: number, params: GcraParams): WindowDecision {
  return gcraDecide(tat, now, params, { allowed: false, remaining: -1, resetMs: -1, retryAfterMs: -1 });
}

describe('gcra', () => {
  const tenPerSecond: GcraParams = { limit: 10, periodMs: 1000, burst: 5, cost: 1 };

  it('a fresh key (tat 0, or any tat <= now) is a full bucket', () => {
    const full = { allowed: true, remaining: 4, resetMs: 100, retryAfterMs: 0 };
    assert.deepEqual(decide(0, T0, tenPerSecond), full);
    assert.deepEqual(decide(T0 - 50_000, T0, tenPerSecond), full);
    assert.deepEqual(decide(T0, T0, tenPerSecond), full);
  });

  it('decides without changing anything: the state is the caller’s number', () => {
    const tat = T0 + 500;
    assert.deepEqual(decide(tat, T0, tenPerSecond), { allowed: false, remaining: 0, resetMs: 500, retryAfterMs: 100 });
    assert.deepEqual(decide(tat, T0, tenPerSecond), { allowed: false, remaining: 0, resetMs: 500, retryAfterMs: 100 });
  });

  it('spends max(tat, now) + T * cost, past the burst too, and nothing for cost 0', () => {
    assert.equal(gcraSpend(0, T0, tenPerSecond, 1), T0 + 100);
    assert.equal(gcraSpend(T0 + 300, T0, tenPerSecond, 4), T0 + 700);
    assert.equal(gcraSpend(T0 + 900, T0, tenPerSecond, 20), T0 + 2900);
    assert.equal(gcraSpend(T0 + 900, T0, tenPerSecond, 0), T0 + 900);
  });

  it('writes into the object given (a CheckResult on the hot path) and returns it', () => {
    const out = { id: 'x', allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0, source: 'store' as const };
    assert.equal(gcraDecide(0, T0, tenPerSecond, out), out);
    assert.equal(out.allowed, true);
    assert.equal(out.id, 'x');
  });

  it('cost 0 is decided as cost 1', () => {
    for (const tat of [0, T0 + 100, T0 + 400, T0 + 450, T0 + 500]) {
      assert.deepEqual(decide(tat, T0, { ...tenPerSecond, cost: 0 }), decide(tat, T0, tenPerSecond), `tat +${tat - T0}`);
    }
  });

  it('a cost above the burst is never admitted; the wait is given by the formula', () => {
    const result = decide(0, T0, { ...tenPerSecond, cost: 7 });
    // newTat - now - T*burst = 700 - 500
    assert.deepEqual(result, { allowed: false, remaining: 5, resetMs: 0, retryAfterMs: 200 });
    assert.equal(decide(0, T0 + 1_000_000, { ...tenPerSecond, cost: 7 }).allowed, false);
  });

  it('ignores round-off below EPS = min(0.01 ms, T/10)', () => {
    assert.equal(gcraEpsilon(100), 0.01);
    assert.equal(gcraEpsilon(0.05), 0.005);
    // 1000 requests at 1000/3 ms each from a full bucket of 1000: the sum of
    // a thousand rounded epoch-scale additions must still admit the last one
    const params: GcraParams = { limit: 3, periodMs: 1000, burst: 1000, cost: 1 };
    let tat = 0;
    for (let i = 1; i <= 1000; i++) {
      const result = decide(tat, T0, params);
      assert.equal(result.allowed, true, `request ${i}`);
      assert.equal(result.remaining, 1000 - i);
      tat = gcraSpend(tat, T0, params, 1);
    }
    assert.equal(decide(tat, T0, params).allowed, false);
    assert.equal(decide(tat, T0 + 333, params).allowed, false);
    assert.equal(decide(tat, T0 + 334, params).allowed, true);
  });

  it('large periods and limits keep whole-ms outputs', () => {
    const daily: GcraParams = { limit: 7, periodMs: 86_400_000, burst: 2, cost: 1 };
    let tat = gcraSpend(0, T0, daily, 2);
    const result = decide(tat, T0, daily);
    assert.equal(result.allowed, false);
    assert.equal(result.retryAfterMs, Math.ceil(86_400_000 / 7));
    assert.equal(result.resetMs, Math.ceil((2 * 86_400_000) / 7));
    tat = gcraSpend(tat, T0 + result.retryAfterMs, daily, 1);
    assert.ok(Number.isFinite(tat));
  });
});
