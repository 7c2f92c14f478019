import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMemoryLimiterStore } from './memory-store.ts';
import type { EvaluateRequest, LimitCheck } from './types.ts';

// a collectable heap without --expose-gc on the command line
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function window(id: string, algorithm: LimitCheck['algorithm']): LimitCheck {
  return {
    id,
    key: '',
    algorithm,
    limit: 100,
    periodMs: 86_400_000,
    burst: 100,
    cost: 1,
    dryRun: false,
    onFailure: 'open',
    member: 'same',
  };
}

it('a million distinct keys through maxKeys 100,000 keep the store at its cap and the heap bounded', (t) => {
  const before = memory();
  const store = createMemoryLimiterStore({ maxKeys: 100_000 });
  // one day windows: nothing expires during the run, so only eviction bounds the store
  const checks = [window('per-ip#0', 'gcra'), window('per-ip#1', 'sliding'), window('per-ip#2', 'distinct')];
  const request: EvaluateRequest = { banKeys: [], checks, escalations: [], now: Date.UTC(2030, 0, 1) };
  let largest = 0;
  for (let i = 0; i < 1_000_000; i++) {
    const key = `ip=${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    for (const check of checks) check.key = key;
    request.now++;
    assert.equal(store.evaluateSync(request).admitted, true);
    if (i % 10_000 === 0) largest = Math.max(largest, store.stats().windows);
  }
  const stats = store.stats();
  assert.equal(stats.windows, 100_000);
  assert.ok(largest <= 100_000, `largest ${largest}`);
  const grown = memory() - before;
  t.diagnostic(`heap and typed arrays grew ${(grown / 1024 / 1024).toFixed(1)} MiB`);
  assert.ok(grown < 200 * 1024 * 1024, `grew ${(grown / 1024 / 1024).toFixed(1)} MiB`);
  // the store must still be reachable here, or the figure above would be meaningless
  assert.equal(store.stats().windows, 100_000);
});
