import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { C, COUNTER_COUNT } from './features.ts';
import { compileLayout, createSlab, WindowSet, type EventMembers } from './windows.ts';

const MINUTE = 60_000;

function members(identifiers: number[] = []): EventMembers {
  return { identifiers: Uint32Array.from(identifiers), identifierCount: identifiers.length, account: 0, hasAccount: false, subnet: 1 };
}

function one(counter: number, amount = 1): Float64Array {
  const increments = new Float64Array(COUNTER_COUNT);
  increments[C.requests] = 1;
  increments[counter] = amount;
  return increments;
}

describe('compileLayout', () => {
  it('merges windows of one length and keeps only the counters read', () => {
    const layout = compileLayout([
      { ms: 10 * MINUTE, counters: [C.requests, C.misses], members: ['identifiers'] },
      { ms: MINUTE, counters: [C.unknownPaths], members: [] },
      { ms: 10 * MINUTE, counters: [C.lookups, C.misses], members: [] },
    ], 4);
    assert.deepEqual(layout.windows.map((w) => w.ms), [MINUTE, 10 * MINUTE]);
    assert.deepEqual(layout.windows[1]!.counters, [C.requests, C.lookups, C.misses].sort((a, b) => a - b));
    assert.deepEqual(layout.windows[1]!.members, [true, false, false]);
    assert.equal(layout.slots, 5);
    assert.equal(layout.counterLength, 5 * 1 + 5 * 3);
    assert.equal(layout.needsGaps, false);
  });
});

describe('WindowSet', () => {
  const layout = compileLayout([{ ms: 10 * MINUTE, counters: [C.requests, C.misses, C.bytesOut], members: ['identifiers'] }], 4);
  const slab = createSlab(layout);

  it('sums a window and slides: what is older than the window is gone', () => {
    const w = new WindowSet(layout, slab);
    const out = new Float64Array(COUNTER_COUNT);
    for (let i = 0; i < 10; i++) w.add(i * 1000, one(C.misses), members([i]));
    w.read(0, 10_000, out);
    assert.equal(out[C.requests], 10);
    assert.equal(out[C.misses], 10);
    assert.equal(w.distinct(0, 10_000, 'identifiers'), 10);
    w.read(0, 13 * MINUTE, out);
    assert.equal(out[C.requests], 0);
    assert.equal(w.distinct(0, 13 * MINUTE, 'identifiers'), 0);
  });

  it('weighs the oldest sub-bucket by how much of it is still inside the window', () => {
    const w = new WindowSet(layout, slab);
    const out = new Float64Array(COUNTER_COUNT);
    w.add(0, one(C.misses), members()); // sub-bucket 0 (0..2.5 min)
    // at 11.25 min the window is 1.25..11.25 min: half of sub-bucket 0 is in it
    w.read(0, 11.25 * MINUTE, out);
    assert.equal(out[C.requests], 0.5);
  });

  it('counts late events in the newest sub-bucket', () => {
    const w = new WindowSet(layout, slab);
    const out = new Float64Array(COUNTER_COUNT);
    w.add(20 * MINUTE, one(C.misses), members());
    w.add(1 * MINUTE, one(C.misses), members());
    w.read(0, 20 * MINUTE, out);
    assert.equal(out[C.requests], 2);
  });

  it('gives its block back to the slab, which hands it out clean', () => {
    const own = createSlab(layout);
    const first = new WindowSet(layout, own);
    first.add(0, one(C.misses), members([1]));
    first.release();
    assert.equal(own.live, 0);
    const second = new WindowSet(layout, own);
    assert.equal(own.live, 1);
    const out = new Float64Array(COUNTER_COUNT);
    second.read(0, 1000, out);
    assert.equal(out[C.requests], 0);
    assert.equal(second.distinct(0, 1000, 'identifiers'), 0);
  });

  it('keeps bytes as an amount', () => {
    const w = new WindowSet(layout, slab);
    const out = new Float64Array(COUNTER_COUNT);
    w.add(0, one(C.bytesOut, 1_500_000), members());
    w.add(1, one(C.bytesOut, 2_500_000), members());
    w.read(0, 2, out);
    assert.equal(out[C.bytesOut], 4_000_000);
  });

  it('lies between the counts of the last W - W/B and W + W/B (property)', () => {
    const width = (10 * MINUTE) / 4;
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 60 * MINUTE }), { maxLength: 200 }), fc.integer({ min: 0, max: 70 * MINUTE }), (times, at) => {
      const sorted = [...times].sort((a, b) => a - b).filter((t) => t <= at);
      const w = new WindowSet(layout, slab);
      for (const t of sorted) w.add(t, one(C.misses), members());
      const out = new Float64Array(COUNTER_COUNT);
      w.read(0, at, out);
      const within = (span: number) => sorted.filter((t) => t > at - span).length;
      assert.ok(out[C.requests]! >= within(10 * MINUTE - width) - 1e-9, 'below the lower bound');
      assert.ok(out[C.requests]! <= within(10 * MINUTE + width) + 1e-9, 'above the upper bound');
    }), { numRuns: 300 });
  });
});
