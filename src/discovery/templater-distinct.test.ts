import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DistinctCounter, hash32 } from './templater-distinct.ts';

function counterOf(prefix: string, from: number, count: number): DistinctCounter {
  const counter = new DistinctCounter();
  for (let i = from; i < from + count; i++) counter.add(`${prefix}-${i}`);
  return counter;
}

describe('DistinctCounter', () => {
  it('is exact below 64 values, repeats included', () => {
    const counter = new DistinctCounter();
    for (let round = 0; round < 3; round++) for (let i = 0; i < 40; i++) counter.add(`v${i}`);
    assert.equal(counter.estimate(), 40);
    assert.equal(counter.isExact, true);
  });

  it('estimates within 20 % (about three standard errors) from a thousand to a million', () => {
    for (const n of [1_000, 20_000, 1_000_000]) {
      const estimate = counterOf('id', 0, n).estimate();
      assert.ok(Math.abs(estimate - n) <= n * 0.2, `${n}: ${estimate}`);
    }
  });

  it('merges: the union of two counters', () => {
    const a = counterOf('x', 0, 3000);
    a.merge(counterOf('x', 2000, 3000));
    assert.ok(Math.abs(a.estimate() - 5000) <= 1000, `${a.estimate()}`);
    const small = counterOf('y', 0, 10);
    small.merge(counterOf('y', 5, 10));
    assert.equal(small.estimate(), 15);
  });
});

describe('hash32', () => {
  it('spreads similar values over the 32 bits', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) buckets[hash32(`user-${i}`) >>> 28]! += 1;
    for (const n of buckets) assert.ok(n > 800 && n < 1200, `${n} in a bucket`);
  });
});
