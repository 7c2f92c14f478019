import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startAlertTicker } from './ticker.ts';
import { eventually } from './test-helpers.ts';

describe('alert ticker', () => {
  it('calls tick() until stopped', async () => {
    let ticks = 0;
    const ticker = startAlertTicker({ tick: () => void ticks++ }, 1);
    await eventually(() => ticks >= 3, 'three ticks');
    ticker.stop();
    assert.ok(ticks >= 3);
  });
});
