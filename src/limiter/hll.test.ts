import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHll, estimateFromHistogram, HLL_PRECISION, HLL_REGISTERS, hllHash } from './hll.ts';
import type { Hll } from './hll.ts';

const KEY = 'test-key';

function sketchOf(members: Iterable<string>, key = KEY): Hll {
  const hll = createHll();
  for (const member of members) hll.add(hllHash(key, member));
  return hll;
}

function* names(prefix: string, from: number, count: number): Generator<string> {
  for (let i = from; i < from + count; i++) yield `${prefix}-${i}`;
}

describe('hllHash', () => {
  it('gives an index below 2^14 and ρ in 1..51, about half of them 1', () => {
    let ones = 0;
    for (const member of names('m', 0, 20_000)) {
      const hashed = hllHash(KEY, member);
      const index = hashed >>> 6;
      const rho = hashed & 63;
      assert.ok(index >= 0 && index < HLL_REGISTERS, `index ${index}`);
      assert.ok(rho >= 1 && rho <= 64 - HLL_PRECISION + 1, `rho ${rho}`);
      if (rho === 1) ones++;
    }
    // P(ρ = 1) = 1/2: 10,000 ± 3σ (σ ≈ 71)
    assert.ok(Math.abs(ones - 10_000) < 300, `${ones} of 20,000 with ρ = 1`);
  });

  it('is keyed: another key gives other registers', () => {
    let same = 0;
    for (const member of names('m', 0, 1000)) if (hllHash('a', member) === hllHash('b', member)) same++;
    assert.ok(same < 5, `${same} identical hashes`);
    assert.equal(hllHash('a', 'x'), hllHash('a', 'x'));
  });
});

describe('HyperLogLog', () => {
  it('estimates 0 when empty', () => {
    const hll = createHll();
    assert.equal(hll.isEmpty, true);
    assert.equal(hll.estimate(), 0);
  });

  it('is exact to ±1 for small sets (the linear-counting range)', () => {
    for (const n of [1, 2, 10, 50, 100]) assert.ok(Math.abs(sketchOf(names('s', 0, n)).estimate() - n) <= 1, `n = ${n}`);
  });

  it('stays within 3 % (about 4 standard errors) from a thousand to 300,000', () => {
    for (const n of [1_000, 10_000, 50_000, 300_000]) {
      const estimate = sketchOf(names('big', 0, n)).estimate();
      assert.ok(Math.abs(estimate - n) <= n * 0.03, `n = ${n}: ${estimate}`);
    }
  });

  it('matches linear counting m·ln(m/V) below 5m/2 (Flajolet et al. 2007)', () => {
    for (const n of [500, 5_000, 30_000]) {
      const hll = sketchOf(names('lc', 0, n));
      let zeros = HLL_REGISTERS;
      hll.forEachRegister(() => zeros--);
      const linear = HLL_REGISTERS * Math.log(HLL_REGISTERS / zeros);
      assert.ok(Math.abs(hll.estimate() - linear) <= linear * 0.005, `n = ${n}: ${hll.estimate()} vs ${linear}`);
    }
  });

  it('add reports a grown register; adding again changes nothing', () => {
    const hll = createHll();
    const hashed = hllHash(KEY, 'x');
    assert.equal(hll.covers(hashed), false);
    assert.equal(hll.add(hashed), true);
    assert.equal(hll.add(hashed), false);
    assert.equal(hll.covers(hashed), true);
    const before = sketchOf(names('d', 0, 3000));
    const again = sketchOf([...names('d', 0, 3000), ...names('d', 0, 3000)]);
    assert.equal(again.estimate(), before.estimate());
  });

  it('a merge is the sketch of the union, sparse or dense alike', () => {
    const cases: [number, number][] = [
      [10, 20],
      [300, 5000],
      [5000, 40_000],
    ];
    for (const [a, b] of cases) {
      const left = sketchOf(names('u', 0, a));
      const right = sketchOf(names('u', a / 2, b));
      const merged = createHll();
      merged.merge(left);
      merged.merge(right);
      const union = sketchOf(names('u', 0, a / 2 + b));
      assert.equal(merged.estimate(), union.estimate(), `${a} ∪ ${b}`);
      const registers: number[] = [];
      merged.forEachRegister((index, value) => registers.push(index, value));
      const expected: number[] = [];
      union.forEachRegister((index, value) => expected.push(index, value));
      assert.deepEqual(registers, expected);
    }
  });

  it('keeps sparse storage small and turns dense past a quarter of the dense size', () => {
    const small = sketchOf(names('b', 0, 100));
    assert.ok(small.byteSize < 2048, `100 members: ${small.byteSize} bytes`);
    const large = sketchOf(names('b', 0, 50_000));
    assert.ok(large.byteSize >= HLL_REGISTERS && large.byteSize < HLL_REGISTERS + 1024, `50,000 members: ${large.byteSize} bytes`);
  });

  it('a sketch created dense, and addAll, give the registers and estimate of add() on a sparse one', () => {
    const registersOf = (hll: Hll): number[] => {
      const out: number[] = [];
      hll.forEachRegister((index, value) => out.push(index, value));
      return out;
    };
    for (const count of [0, 1, 300, 5000, 60_000]) {
      const hashed = Uint32Array.from(names('d', 0, count), (member) => hllHash(KEY, member));
      const reference = createHll();
      for (const value of hashed) reference.add(value);
      const dense = createHll({ isDense: true });
      for (const value of hashed) dense.add(value);
      // in uneven batches, into a dense sketch and into a sparse one (which turns dense on the way)
      const bulkDense = createHll({ isDense: true });
      const bulkSparse = createHll();
      for (let from = 0, size = 1; from < hashed.length; from += size, size = (size * 3) % 97 + 1) {
        const batch = hashed.slice(from, from + size);
        bulkDense.addAll(batch, batch.length);
        bulkSparse.addAll(batch, batch.length);
      }
      for (const hll of [dense, bulkDense, bulkSparse]) {
        assert.equal(hll.estimate(), reference.estimate(), `${count} members`);
        assert.deepEqual(registersOf(hll), registersOf(reference), `${count} members`);
        assert.equal(hll.isEmpty, count === 0);
      }
      assert.ok(dense.byteSize >= HLL_REGISTERS);
    }
  });

  it('estimateFromHistogram: all registers at 0 is 0; all saturated is beyond range (∞)', () => {
    const histogram = new Int32Array(64 - HLL_PRECISION + 2);
    histogram[0] = HLL_REGISTERS;
    assert.equal(estimateFromHistogram(histogram), 0);
    histogram[0] = 0;
    histogram[64 - HLL_PRECISION + 1] = HLL_REGISTERS;
    assert.equal(estimateFromHistogram(histogram), Infinity);
  });
});
