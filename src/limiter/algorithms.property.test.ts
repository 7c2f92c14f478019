/**
 * Property tests (fast-check) for the window algorithms: GCRA against an
 * exact integer model, the sliding window counter's approximation bound and
 * exact waits, distinct against a model of "latest touch per member", and
 * the memory store's all-or-nothing rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createDistinctState, distinctAdd, distinctDecide } from './distinct.ts';
import type { DistinctOptions } from './distinct.ts';
import { gcraDecide, gcraSpend } from './gcra.ts';
import type { GcraParams, WindowDecision } from './gcra.ts';
import { createMemoryLimiterStore } from './memory-store.ts';
import { slidingDecide, slidingSpend } from './sliding.ts';
import type { SlidingState } from './sliding.ts';
import type { EvaluateRequest, LimitCheck } from './types.ts';

const T0 = Date.UTC(2030, 0, 1);
const RUNS = { numRuns: 300 };

function blank(): WindowDecision {
  return { allowed: false, remaining: -1, resetMs: -1, retryAfterMs: -1 };
}

const period = fc.constantFrom(7, 333, 1000, 60_000, 3_600_000, 86_400_000);

describe('gcra (property)', () => {
  const params = fc.record({
    // 1/limit > EPS (0.01 ms): the model's fractions never fall within the tolerance
    limit: fc.integer({ min: 1, max: 50 }),
    periodMs: period,
    burst: fc.integer({ min: 1, max: 60 }),
  });
  const steps = fc.array(fc.record({ gap: fc.double({ min: 0, max: 1, noNaN: true }), cost: fc.integer({ min: 0, max: 4 }) }), {
    minLength: 1,
    maxLength: 120,
  });

  it('decides exactly as an integer model (time scaled by limit)', () => {
    fc.assert(
      fc.property(params, steps, ({ limit, periodMs, burst }, list) => {
        // model: every time multiplied by `limit`, so T = periodMs is an integer
        let tatScaled = 0;
        let tat = 0;
        let now = T0;
        for (const { gap, cost } of list) {
          now += Math.floor((gap * 2 * periodMs * Math.max(1, cost)) / limit);
          const check: GcraParams = { limit, periodMs, burst, cost };
          const got = gcraDecide(tat, now, check, blank());
          const nowScaled = now * limit;
          const base = Math.max(tatScaled, nowScaled);
          const newTat = base + periodMs * (cost === 0 ? 1 : cost);
          const span = periodMs * burst;
          const expected: WindowDecision =
            newTat - nowScaled <= span
              ? {
                  allowed: true,
                  remaining: Math.floor((span - (newTat - nowScaled)) / periodMs),
                  resetMs: Math.ceil((newTat - nowScaled) / limit),
                  retryAfterMs: 0,
                }
              : {
                  allowed: false,
                  remaining: Math.max(0, Math.floor((span - (base - nowScaled)) / periodMs)),
                  resetMs: Math.ceil((base - nowScaled) / limit),
                  retryAfterMs: Math.ceil((newTat - nowScaled - span) / limit),
                };
          assert.deepEqual(got, expected);
          if (got.allowed && cost > 0) {
            tat = gcraSpend(tat, now, check, cost);
            tatScaled = newTat;
          }
        }
      }),
      RUNS,
    );
  });

  it('admits at most burst + elapsed / T units in any interval', () => {
    fc.assert(
      fc.property(params, steps, ({ limit, periodMs, burst }, list) => {
        const admitted: { at: number; cost: number }[] = [];
        let tat = 0;
        let now = T0;
        for (const { gap, cost } of list) {
          now += Math.floor((gap * periodMs) / limit);
          const check = { limit, periodMs, burst, cost: Math.max(1, cost) };
          if (gcraDecide(tat, now, check, blank()).allowed) {
            tat = gcraSpend(tat, now, check, check.cost);
            admitted.push({ at: now, cost: check.cost });
          }
        }
        for (let i = 0; i < admitted.length; i++) {
          let units = 0;
          for (let j = i; j < admitted.length; j++) {
            units += admitted[j]!.cost;
            const elapsed = admitted[j]!.at - admitted[i]!.at;
            assert.ok(units <= burst + (elapsed * limit) / periodMs + 1e-6, `${units} units in ${elapsed} ms`);
          }
        }
      }),
      RUNS,
    );
  });

  it('`remaining` is the largest cost the next request can have', () => {
    fc.assert(
      fc.property(params, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 3 }), ({ limit, periodMs, burst }, back, cost) => {
        const check = { limit, periodMs, burst, cost };
        const tat = T0 + Math.floor((back * periodMs) / limit / 10);
        const result = gcraDecide(tat, T0, check, blank());
        if (!result.allowed) return;
        const after = gcraSpend(tat, T0, check, cost);
        if (result.remaining > 0) assert.equal(gcraDecide(after, T0, { ...check, cost: result.remaining }, blank()).allowed, true);
        assert.equal(gcraDecide(after, T0, { ...check, cost: result.remaining + 1 }, blank()).allowed, false);
      }),
      RUNS,
    );
  });
});

describe('sliding window counter (property)', () => {
  const limits = fc.integer({ min: 1, max: 30 });
  const times = (p: number) => fc.array(fc.integer({ min: 0, max: 3 * p - 1 }), { minLength: 1, maxLength: 150 });

  /** admits cost-1 requests at the given offsets from T0 (sorted); returns the admitted times */
  function run(limit: number, p: number, offsets: number[]): number[] {
    let state: SlidingState | undefined;
    const admitted: number[] = [];
    for (const offset of [...offsets].sort((x, y) => x - y)) {
      const now = T0 + offset;
      const check = { limit, periodMs: p, cost: 1 };
      if (slidingDecide(state, now, check, blank()).allowed) {
        state = slidingSpend(state, now, p, 1);
        admitted.push(now);
      }
    }
    return admitted;
  }

  it('no fixed bucket holds more than the limit', () => {
    fc.assert(
      fc.property(
        limits,
        fc.constantFrom(10, 1000, 60_000).chain((p) => fc.tuple(fc.constant(p), times(p))),
        (limit, [p, offsets]) => {
          const perBucket = new Map<number, number>();
          for (const at of run(limit, p, offsets)) {
            const bucket = Math.floor(at / p);
            perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + 1);
          }
          for (const count of perBucket.values()) assert.ok(count <= limit);
        },
      ),
      RUNS,
    );
  });

  it('any window of length P admits at most limit + previous × f (so at most 2·limit − 1)', () => {
    fc.assert(
      fc.property(
        limits,
        fc.constantFrom(10, 1000, 60_000).chain((p) => fc.tuple(fc.constant(p), times(p))),
        (limit, [p, offsets]) => {
          const admitted = run(limit, p, offsets);
          for (const end of admitted) {
            // the window (end - P, end]: part of bucket k - 1 and bucket k up to `end`
            const inWindow = admitted.filter((t) => t > end - p && t <= end).length;
            const bucket = Math.floor(end / p);
            const previous = admitted.filter((t) => Math.floor(t / p) === bucket - 1).length;
            const f = (end - bucket * p) / p;
            assert.ok(inWindow <= limit + previous * f + 1e-9, `${inWindow} in a window, limit ${limit}, previous ${previous}, f ${f}`);
            assert.ok(inWindow <= 2 * limit - 1);
          }
        },
      ),
      RUNS,
    );
  });

  it('2·limit requests straddling a bucket edge within less than P are never all admitted', () => {
    fc.assert(
      fc.property(limits, fc.constantFrom(10, 1000, 60_000), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (limit, p, a, b) => {
        // `limit` requests `before` ms before the edge, `limit` requests `after` ms after, before + after < P
        const before = 1 + Math.floor(a * (p - 2));
        const after = Math.floor(b * (p - 1 - before));
        const edge = 5 * p;
        const offsets = [...Array<number>(limit).fill(edge - before), ...Array<number>(limit).fill(edge + after)];
        assert.ok(run(limit, p, offsets).length < 2 * limit);
      }),
      RUNS,
    );
  });

  it('retryAfterMs is exact and `remaining` is the largest next cost', () => {
    fc.assert(
      fc.property(
        limits,
        period,
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        (limit, p, spends, cost) => {
          fc.pre(cost <= limit);
          // arbitrary state: spends recorded without deciding, over up to 2 periods
          let state: SlidingState | undefined;
          let now = T0;
          for (const [gap, units] of spends) {
            now += Math.floor((gap * 2 * p) / spends.length);
            state = slidingSpend(state, now, p, units);
          }
          const check = { limit, periodMs: p, cost };
          const result = slidingDecide(state, now, check, blank());
          if (result.allowed) {
            const after = slidingSpend(state, now, p, cost);
            if (result.remaining > 0) assert.equal(slidingDecide(after, now, { ...check, cost: result.remaining }, blank()).allowed, true);
            assert.equal(slidingDecide(after, now, { ...check, cost: result.remaining + 1 }, blank()).allowed, false);
            return;
          }
          const wait = result.retryAfterMs;
          assert.ok(wait >= 1);
          assert.equal(slidingDecide(state, now + wait, check, blank()).allowed, true, `admitted after ${wait}`);
          if (wait > 1) assert.equal(slidingDecide(state, now + wait - 1, check, blank()).allowed, false, `refused at ${wait - 1}`);
        },
      ),
      RUNS,
    );
  });
});

describe('distinct (property)', () => {
  it('decides exactly as "a member is in the window iff its latest touch is in sub-buckets j-4..j"', () => {
    const options: DistinctOptions = { exactMax: 256, hashKey: 'k' };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(4, 400, 4000, 86_400_000, 10),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h')), {
          minLength: 1,
          maxLength: 80,
        }),
        (limit, p, steps) => {
          const state = createDistinctState();
          const latest = new Map<string, number>();
          const sub = (t: number): number => Math.floor((4 * t) / p);
          const leaves = (k: number): number => Math.ceil(((k + 5) * p) / 4);
          let now = T0;
          for (const [gap, member] of steps) {
            now += Math.floor((gap * p) / 2);
            const j = sub(now);
            const live = [...latest].filter(([, t]) => sub(t) >= j - 4);
            const isFound = live.some(([m]) => m === member);
            const size = live.length;
            const subs = live.map(([, t]) => sub(t));
            const allowed = isFound || size < limit;
            const expected: WindowDecision = allowed
              ? { allowed, remaining: Math.max(0, limit - size - (isFound ? 0 : 1)), resetMs: leaves(j) - now, retryAfterMs: 0 }
              : {
                  allowed,
                  remaining: Math.max(0, limit - size),
                  resetMs: leaves(Math.max(...subs)) - now,
                  retryAfterMs: Math.max(1, leaves(Math.min(...subs)) - now),
                };
            const got = distinctDecide(state, now, { limit, periodMs: p }, member, options, blank());
            assert.deepEqual(got, expected);
            if (allowed) {
              distinctAdd(state, now, p, member, options);
              latest.set(member, now);
            }
          }
        },
      ),
      RUNS,
    );
  });
});

describe('memory store (property)', () => {
  const checkArb = fc.record({
    which: fc.integer({ min: 0, max: 3 }),
    algorithm: fc.constantFrom<LimitCheck['algorithm']>('gcra', 'sliding', 'distinct'),
    limit: fc.integer({ min: 1, max: 4 }),
    burst: fc.integer({ min: 1, max: 4 }),
    cost: fc.integer({ min: 0, max: 2 }),
    member: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
    dryRun: fc.boolean(),
  });

  it('a refused request leaves no trace: a store that never saw it decides the same from then on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.array(checkArb, { minLength: 1, maxLength: 3 })), {
          minLength: 1,
          maxLength: 60,
        }),
        async (requests) => {
          const seesAll = createMemoryLimiterStore({ hashKey: 'k' });
          const seesAdmitted = createMemoryLimiterStore({ hashKey: 'k' });
          let now = T0;
          for (const [gap, specs] of requests) {
            now += gap;
            const checks: LimitCheck[] = specs.map((spec) => ({
              // the window's algorithm and size follow from its id, as in a compiled plan
              id: `w${spec.which}-${spec.algorithm}-${spec.limit}-${spec.burst}`,
              key: 'k',
              algorithm: spec.algorithm,
              limit: spec.limit,
              periodMs: 1000,
              burst: spec.burst,
              cost: spec.cost,
              member: spec.member,
              dryRun: spec.dryRun,
              onFailure: 'open',
            }));
            const request: EvaluateRequest = { banKeys: [], checks, escalations: [], now };
            const all = seesAll.evaluateSync(request);
            if (all.admitted) assert.deepEqual(seesAdmitted.evaluateSync(request), all);
            // both stores must hold the same state: a look (cost 0, no member) at every window agrees
            const look: EvaluateRequest = { ...request, checks: checks.map((c) => ({ ...c, cost: 0, member: undefined })) };
            assert.deepEqual(seesAll.evaluateSync(look), seesAdmitted.evaluateSync(look));
          }
          await seesAll.close();
          await seesAdmitted.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});
