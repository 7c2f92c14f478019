import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSlowdowns } from './slowdowns.ts';

describe('slowdowns', () => {
  it('finds the longest delay among a request\'s keys while it lasts', () => {
    const s = createSlowdowns();
    s.add({ key: 'ip:127.0.0.2', until: 1_000, delayMs: 100, reason: 'detect:a' });
    s.add({ key: 'fingerprint:f', until: 2_000, delayMs: 500, reason: 'detect:b' });
    assert.equal(s.find(['ip:127.0.0.2', 'fingerprint:f'], 500)?.delayMs, 500);
    assert.equal(s.find(['ip:127.0.0.2'], 500)?.reason, 'detect:a');
    assert.equal(s.find(['ip:127.0.0.2'], 1_000), null, 'ended');
    assert.equal(s.find(['ip:127.0.0.3'], 0), null);
  });

  it('keeps the stronger of two decisions on one key', () => {
    const s = createSlowdowns();
    s.add({ key: 'ip:a', until: 5_000, delayMs: 100, reason: 'x' });
    s.add({ key: 'ip:a', until: 2_000, delayMs: 800, reason: 'y' });
    const found = s.find(['ip:a'], 3_000);
    assert.deepEqual([found?.until, found?.delayMs], [5_000, 800]);
  });

  it('stays within its bound, giving way to the entry that ends soonest', () => {
    const s = createSlowdowns(3);
    for (let i = 0; i < 10; i++) s.add({ key: `ip:${i}`, until: 1_000 + i, delayMs: 10, reason: 'r' });
    assert.equal(s.size, 3);
    assert.deepEqual(s.list(0).map((x) => x.key), ['ip:9', 'ip:8', 'ip:7']);
  });
});
