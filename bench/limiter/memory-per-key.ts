/**
 * Bytes per key of the memory limiter store, for gcra and sliding states
 * (and distinct states holding one member, for comparison), at
 * 1,000,000 keys: the V8 heap (storage key strings, the Map) plus the
 * typed-array columns, which live outside it (process.memoryUsage()
 * .arrayBuffers). That is what a key costs the gateway.
 *
 *   node --expose-gc bench/limiter/memory-per-key.ts [keys]
 */
import { createMemoryLimiterStore } from '../../src/limiter/memory-store.ts';
import type { EvaluateRequest, LimitCheck, WindowAlgorithm } from '../../src/limiter/types.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with: node --expose-gc bench/limiter/memory-per-key.ts');
  process.exit(1);
}
const keys = Number(process.argv[2] ?? 1_000_000);
const now = Date.UTC(2030, 0, 1);

function used(): { heap: number; buffers: number } {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
}

function measure(algorithm: WindowAlgorithm): string {
  const before = used();
  const store = createMemoryLimiterStore({ maxKeys: keys, maxDistinctBytes: 2 ** 31 });
  const check: LimitCheck = {
    id: 'lookups#0',
    key: '',
    algorithm,
    limit: 100,
    periodMs: 3_600_000,
    burst: 100,
    cost: 1,
    dryRun: false,
    onFailure: 'open',
    // distinct: one member per key (the smallest distinct state)
    member: '+15551234567',
  };
  const request: EvaluateRequest = { banKeys: [], checks: [check], escalations: [], now };
  for (let i = 0; i < keys; i++) {
    // an IPv4 client key as the gateway composes it: "ip=203.x.y.z"
    check.key = `ip=${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    store.evaluateSync(request);
  }
  const held = store.stats().windows;
  const after = used();
  if (held !== keys) throw new Error(`expected ${keys} states, found ${held}`);
  // keep the store alive until measured
  void store.close();
  const heap = (after.heap - before.heap) / keys;
  const buffers = (after.buffers - before.buffers) / keys;
  return `${(heap + buffers).toFixed(1)} bytes per key (heap ${heap.toFixed(1)}, typed arrays ${buffers.toFixed(1)})`;
}

for (const algorithm of ['gcra', 'sliding', 'distinct'] as const) {
  console.log(`${algorithm}: ${measure(algorithm)} at ${keys.toLocaleString('en')} keys`);
}
