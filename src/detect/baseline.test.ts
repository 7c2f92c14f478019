import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Baseline } from './baseline.ts';

/** two values: [misses, lookups] */
const create = (warmupMinutes = 10) => new Baseline(['count', 'count'], { halfLifeMinutes: 60, warmupMinutes });

describe('Baseline', () => {
  it('learns a steady mean and is warm after the warm-up minutes', () => {
    const b = create(30);
    for (let m = 0; m < 29; m++) b.update([1, 100]);
    assert.equal(b.isWarm, false);
    for (let m = 0; m < 600; m++) b.update([1, 100]);
    assert.equal(b.isWarm, true);
    assert.ok(Math.abs(b.mean(1) - 100) < 1);
    assert.ok(Math.abs(b.expected(1, 5) - 500) < 5);
  });

  it('scores counts against a Poisson floor: one event where none is usual is not an anomaly', () => {
    const b = create();
    for (let m = 0; m < 100; m++) b.update([0, 0]);
    assert.ok(b.zScore(0, 1, 1) <= 1);
    assert.ok(b.zScore(0, 30, 5) > 6);
  });

  it('tests a ratio against the learned rate with a binomial score', () => {
    const b = create();
    for (let m = 0; m < 200; m++) b.update([1, 100]);
    assert.ok(Math.abs(b.rate(0, 1) - 0.01) < 0.001);
    assert.ok(b.rateZScore(0, 1, 1, 100) < 1, 'one miss in a hundred is usual');
    assert.ok(b.rateZScore(0, 1, 2, 2) < 20 && b.rateZScore(0, 1, 2, 2) > 0, 'two of two is surprising, on little evidence');
    assert.ok(b.rateZScore(0, 1, 140, 150) > 50, '140 of 150 is an attack');
    assert.ok(Number.isNaN(b.rateZScore(0, 1, 0, 0)));
  });

  it('does not learn an attack: values are clipped once warm', () => {
    const b = create();
    for (let m = 0; m < 120; m++) b.update([1, 100]);
    for (let m = 0; m < 30; m++) b.update([140, 250]);
    // half an hour of attack moves the learned miss rate, but not near the attack's own
    assert.ok(b.rate(0, 1) < 0.1, `rate ${b.rate(0, 1)}`);
    assert.ok(b.zScore(0, 140, 1) > 6);
  });

  it('follows a lasting change slowly', () => {
    const b = create();
    for (let m = 0; m < 120; m++) b.update([0, 100]);
    for (let m = 0; m < 1000; m++) b.update([0, 300]);
    assert.ok(b.mean(1) > 250);
  });

  it('decays over idle minutes without looping over all of them', () => {
    const b = create();
    for (let m = 0; m < 120; m++) b.update([0, 100]);
    b.updateIdle(60, [0, 0]);
    assert.ok(Math.abs(b.mean(1) - 50) < 2, `one half-life: ${b.mean(1)}`);
    b.updateIdle(10_000_000, [0, 0]);
    assert.ok(b.mean(1) < 0.1);
    assert.equal(b.minutes, 120 + 60 + 10_000_000);
  });
});
