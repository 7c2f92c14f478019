import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Ban, BanEscalation, CheckResult, EvaluateRequest, EvaluateResult, LimitCheck, LimiterStore } from './types.ts';

/**
 * The behaviour every LimiterStore must show, run by each implementation's
 * own test file:
 *
 *   runLimiterConformance('memory', async () => createMemoryLimiterStore());
 *   runLimiterConformance('redis', () => createRedisStore(...), { skip: redisUrl ? false : 'REDIS_URL not set' });
 *
 * `makeStore` is called once per test and the store closed after it. Every
 * test uses its own random key prefix (window keys, ban keys, escalation
 * reasons), so a shared Redis can run the suite, also twice at once.
 *
 * The rules tested here are written out in gcra.ts, sliding.ts, distinct.ts
 * and memory-store.ts (evaluate, escalation, bans); every expected number
 * below follows from those formulas with explicit `now` values.
 *
 * Time: T0 is 2030-01-01T00:00:00Z, a multiple of every period used (and of
 * their quarters), so bucket and sub-bucket edges fall on round offsets; it is
 * in the future so that a store using absolute expiry (PEXPIREAT) keeps keys.
 */

export const CONFORMANCE_T0 = Date.UTC(2030, 0, 1);

/**
 * An answer as plain values, to compare two stores' answers: the memory
 * store's check results are class instances (memory-store.ts says why),
 * the Redis store's are object literals; the values are what must agree.
 */
export function plainAnswer(result: EvaluateResult): EvaluateResult {
  return { ...result, results: result.results.map((r) => ({ ...r })), newBans: result.newBans.map((b) => ({ ...b })) };
}
const T0 = CONFORMANCE_T0;
const SECOND = 1000;
const DAY = 86_400_000;

export interface LimiterConformanceOptions {
  /** false to run; a string skips the whole suite with that reason (e.g. no Redis) */
  skip?: string | false;
}

type Decision = Pick<CheckResult, 'allowed' | 'remaining' | 'resetMs' | 'retryAfterMs'>;

export function runLimiterConformance(
  name: string,
  makeStore: () => Promise<LimiterStore>,
  options: LimiterConformanceOptions = {},
): void {
  /** a fresh store and a fresh key prefix for one test */
  async function withStore(fn: (store: LimiterStore, p: string) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await fn(store, `cf-${randomUUID().slice(0, 12)}`);
    } finally {
      await store.close();
    }
  }

  describe(`LimiterStore conformance: ${name}`, { skip: options.skip ?? false }, () => {
    describe('gcra', () => {
      it('admits a burst, then one request per emission interval', () =>
        withStore(async (store, p) => {
          // T = 1000 / 10 = 100 ms, burst 5
          const c = gcra(p, { limit: 10, periodMs: SECOND, burst: 5 });
          for (let i = 1; i <= 5; i++) {
            assert.deepEqual(await decide(store, c, T0), ok(5 - i, 100 * i), `request ${i}`);
          }
          assert.deepEqual(await decide(store, c, T0), denied(0, 500, 100));
          assert.deepEqual(await decide(store, c, T0 + 100), ok(0, 500));
          assert.deepEqual(await decide(store, c, T0 + 150), denied(0, 450, 50));
          assert.deepEqual(await decide(store, c, T0 + 199), denied(0, 401, 1));
          assert.deepEqual(await decide(store, c, T0 + 200), ok(0, 500));
          // steady rate: one per 100 ms goes on forever
          for (let t = T0 + 300; t <= T0 + 3000; t += 100) {
            assert.deepEqual(await decide(store, c, t), ok(0, 500), `at +${t - T0}`);
          }
          // idle for a whole burst: full again
          assert.deepEqual(await decide(store, c, T0 + 3500), ok(4, 100));
        }));

      it('spends `cost` units; cost 0 looks exactly as cost 1 would and spends nothing', () =>
        withStore(async (store, p) => {
          const c = gcra(p, { limit: 10, periodMs: SECOND, burst: 5 });
          assert.deepEqual(await decide(store, { ...c, cost: 3 }, T0), ok(2, 300));
          // 3 more would need tat 600 > 500: wait 100, nothing changes
          assert.deepEqual(await decide(store, { ...c, cost: 3 }, T0), denied(2, 300, 100));
          const look = { ...c, cost: 0 };
          assert.deepEqual(await decide(store, look, T0), ok(1, 400));
          assert.deepEqual(await decide(store, look, T0), ok(1, 400), 'a look spends nothing');
          assert.deepEqual(await decide(store, { ...c, cost: 2 }, T0), ok(0, 500));
          assert.deepEqual(await decide(store, look, T0), denied(0, 500, 100));
          assert.deepEqual(await decide(store, look, T0 + 100), ok(0, 500));
          assert.deepEqual(await decide(store, look, T0 + 100), ok(0, 500), 'still nothing spent');
        }));

      it('handles a fractional emission interval without round-off denials', () =>
        withStore(async (store, p) => {
          // T = 1000 / 3 ms, burst 3
          const c = gcra(p, { limit: 3, periodMs: SECOND, burst: 3 });
          assert.deepEqual(await decide(store, c, T0), ok(2, 334));
          assert.deepEqual(await decide(store, c, T0), ok(1, 667));
          assert.deepEqual(await decide(store, c, T0), ok(0, 1000));
          assert.deepEqual(await decide(store, c, T0), denied(0, 1000, 334));
          assert.deepEqual(await decide(store, c, T0 + 333), denied(0, 667, 1));
          assert.deepEqual(await decide(store, c, T0 + 334), ok(0, 1000));
          // 30 more at the steady rate (one per 334 ms >= 333.33): all admitted
          for (let k = 2; k <= 31; k++) {
            assert.equal((await decide(store, c, T0 + 334 * k)).allowed, true, `request at +${334 * k}`);
          }
          // the slack gained (0.67 ms per request) is far from a whole interval: 1 ms later is refused
          assert.equal((await decide(store, c, T0 + 334 * 31 + 1)).allowed, false);
        }));

      it('retryAfterMs is the exact wait', () =>
        withStore(async (store, p) => {
          const c = gcra(p, { limit: 7, periodMs: 60 * SECOND, burst: 2 });
          await decide(store, c, T0);
          await decide(store, c, T0);
          const refused = await decide(store, c, T0 + 5);
          assert.equal(refused.allowed, false);
          await assertExactWait(store, c, T0 + 5, refused.retryAfterMs);
        }));
    });

    describe('sliding window counter', () => {
      it('counts the current bucket and weights the previous one', () =>
        withStore(async (store, p) => {
          const c = sliding(p, { limit: 10, periodMs: SECOND });
          for (let i = 1; i <= 10; i++) assert.deepEqual(await decide(store, c, T0), ok(10 - i, 2000));
          // the bucket alone is full: wait for the next one and for 10 * (1 - f) + 1 <= 10, f >= 0.1
          assert.deepEqual(await decide(store, c, T0), denied(0, 2000, 1100));
          assert.deepEqual(await decide(store, c, T0 + 1099), denied(0, 901, 1));
          assert.deepEqual(await decide(store, c, T0 + 1100), ok(0, 1900));
          // count = 10 * 0.9 + 1 = 10; within this bucket: 10 * (1 - f) + 1 + 1 <= 10 at f = 0.2
          assert.deepEqual(await decide(store, c, T0 + 1100), denied(0, 1900, 100));
          assert.deepEqual(await decide(store, c, T0 + 1200), ok(0, 1800));
          // count = 10 * 0.5 + 2 = 7
          assert.deepEqual(await decide(store, c, T0 + 1500), ok(2, 1500));
          // only the previous bucket left (3 in it): count 3 * 0.75 = 2.25
          assert.deepEqual(await decide(store, { ...c, cost: 0 }, T0 + 2250), ok(6, 1750));
          // everything aged out
          assert.deepEqual(await decide(store, c, T0 + 3000), ok(9, 2000));
        }));

      it('does not admit a burst twice across a bucket edge', () =>
        withStore(async (store, p) => {
          const c = sliding(p, { limit: 10, periodMs: SECOND });
          for (let i = 0; i < 10; i++) assert.equal((await decide(store, c, T0 + 999)).allowed, true);
          for (let i = 0; i < 10; i++) {
            assert.deepEqual(await decide(store, c, T0 + 1000), denied(0, 1000, 100), `request ${i} after the edge`);
          }
          // 10 * 0.9 = 9: one more
          assert.deepEqual(await decide(store, c, T0 + 1100), ok(0, 1900));
          assert.equal((await decide(store, c, T0 + 1100)).allowed, false);
        }));

      it('when the previous bucket is empty the wait ends in the next bucket', () =>
        withStore(async (store, p) => {
          const c = sliding(p, { limit: 4, periodMs: SECOND });
          assert.deepEqual(await decide(store, { ...c, cost: 4 }, T0 + 200), ok(0, 1800));
          const refused = await decide(store, { ...c, cost: 1 }, T0 + 200);
          // next bucket at +800, then 4 * (1 - f) + 1 <= 4 at f = 0.25: +250
          assert.deepEqual(refused, denied(0, 1800, 1050));
          await assertExactWait(store, c, T0 + 200, 1050);
        }));

      it('handles a long window (one day)', () =>
        withStore(async (store, p) => {
          const c = sliding(p, { limit: 1000, periodMs: DAY });
          const t = T0 + 3_600_000;
          for (let i = 1; i <= 4; i++) assert.deepEqual(await decide(store, { ...c, cost: 250 }, t), ok(1000 - 250 * i, 2 * DAY - 3_600_000));
          // next day, then 1000 * (1 - f) + 1 <= 1000: f >= 0.001 = 86,400 ms
          assert.deepEqual(await decide(store, c, t), denied(0, 2 * DAY - 3_600_000, DAY - 3_600_000 + 86_400));
          // half way through the next day: 1000 * 0.5 = 500 counted
          const noon = T0 + DAY + DAY / 2;
          assert.deepEqual(await decide(store, { ...c, cost: 0 }, noon), ok(499, DAY + DAY / 2));
          assert.deepEqual(await decide(store, { ...c, cost: 500 }, noon), ok(0, DAY + DAY / 2));
          assert.equal((await decide(store, c, noon)).allowed, false);
          await assertExactWait(store, c, noon, (await decide(store, c, noon)).retryAfterMs);
        }));

      it('spends `cost`; cost 0 looks as cost 1 and spends nothing', () =>
        withStore(async (store, p) => {
          const c = sliding(p, { limit: 5, periodMs: SECOND });
          const look = { ...c, cost: 0 };
          assert.deepEqual(await decide(store, look, T0 + 100), ok(4, 1900));
          assert.deepEqual(await decide(store, look, T0 + 100), ok(4, 1900));
          assert.deepEqual(await decide(store, { ...c, cost: 3 }, T0 + 100), ok(2, 1900));
          assert.deepEqual(await decide(store, { ...c, cost: 3 }, T0 + 100), denied(2, 1900, 1234));
          assert.deepEqual(await decide(store, { ...c, cost: 2 }, T0 + 100), ok(0, 1900));
          assert.deepEqual(await decide(store, look, T0 + 100), denied(0, 1900, 1100));
        }));

      it('a clock behind the stored bucket counts as the start of that bucket', () =>
        withStore(async (store, p) => {
          const c = sliding(p, { limit: 2, periodMs: SECOND });
          assert.deepEqual(await decide(store, { ...c, cost: 2 }, T0 + 1500), ok(0, 1500));
          // at T0 + 999 (bucket 0) the state of bucket 1 is read as at T0 + 1000:
          // 1 ms behind, then the next bucket (+1000) and 2 * (1 - f) + 1 <= 2 (+500)
          assert.deepEqual(await decide(store, c, T0 + 999), denied(0, 2001, 1501));
        }));
    });

    describe('distinct', () => {
      // P = 4 s: sub-buckets of 1 s; a sub-bucket k leaves the window at (k + 5) s
      it('counts distinct members exactly; a known member is always allowed', () =>
        withStore(async (store, p) => {
          const c = distinct(p, { limit: 3, periodMs: 4 * SECOND });
          assert.deepEqual(await decide(store, { ...c, member: 'a' }, T0), ok(2, 5000));
          assert.deepEqual(await decide(store, { ...c, member: 'b' }, T0 + 10), ok(1, 4990));
          assert.deepEqual(await decide(store, { ...c, member: 'a' }, T0 + 20), ok(1, 4980));
          assert.deepEqual(await decide(store, { ...c, member: 'c' }, T0 + 30), ok(0, 4970));
          assert.deepEqual(await decide(store, { ...c, member: 'd' }, T0 + 40), denied(0, 4960, 4960));
          assert.deepEqual(await decide(store, { ...c, member: 'd' }, T0 + 50), denied(0, 4950, 4950), 'a denied member is not added');
          assert.deepEqual(await decide(store, { ...c, member: 'b' }, T0 + 60), ok(0, 4940));
          // cost is ignored
          assert.deepEqual(await decide(store, { ...c, member: 'c', cost: 0 }, T0 + 70), ok(0, 4930));
        }));

      it('slides by sub-buckets; touching a member keeps it in the window', () =>
        withStore(async (store, p) => {
          const c = distinct(p, { limit: 3, periodMs: 4 * SECOND });
          await decide(store, { ...c, member: 'a' }, T0);
          await decide(store, { ...c, member: 'b' }, T0 + 1000);
          await decide(store, { ...c, member: 'c' }, T0 + 2000);
          assert.deepEqual(await decide(store, { ...c, member: 'a' }, T0 + 2500), ok(0, 4500));
          // `a` moved to sub-bucket 2: the oldest holding a latest touch is 1 (`b`), leaving at 6 s
          assert.deepEqual(await decide(store, { ...c, member: 'd' }, T0 + 3000), denied(0, 4000, 3000));
          assert.deepEqual(await decide(store, { ...c, member: 'd' }, T0 + 5999), denied(0, 1001, 1));
          assert.deepEqual(await decide(store, { ...c, member: 'd' }, T0 + 6000), ok(0, 5000));
          // `b` is gone, `a` and `c` are not
          assert.deepEqual(await decide(store, { ...c, member: 'b' }, T0 + 6000), denied(0, 5000, 1000));
          assert.deepEqual(await decide(store, { ...c, member: 'a' }, T0 + 6000), ok(0, 5000));
        }));

      it('forgets a member between P and 1.25 P after its last touch', () =>
        withStore(async (store, p) => {
          const c = distinct(p, { limit: 1, periodMs: 4 * SECOND });
          assert.deepEqual(await decide(store, { ...c, member: 'a' }, T0 + 999), ok(0, 4001));
          assert.deepEqual(await decide(store, { ...c, member: 'b' }, T0 + 4999), denied(0, 1, 1));
          assert.deepEqual(await decide(store, { ...c, member: 'b' }, T0 + 5000), ok(0, 5000));
          assert.deepEqual(await decide(store, { ...c, member: 'c' }, T0 + 5000), denied(0, 5000, 5000));
        }));

      it('a clock behind the state counts as the newest sub-bucket', () =>
        withStore(async (store, p) => {
          const c = distinct(p, { limit: 1, periodMs: 4 * SECOND });
          await decide(store, { ...c, member: 'a' }, T0 + 1000);
          assert.deepEqual(await decide(store, { ...c, member: 'b' }, T0 + 500), denied(0, 5500, 5500));
          assert.deepEqual(await decide(store, { ...c, member: 'a' }, T0 + 500), ok(0, 5500));
        }));

      it('past the exact threshold the count stays within 5 %', () =>
        withStore(async (store, p) => {
          // 6,000 members over four sub-buckets, 1,000 of the first touched again in the fifth
          const c = distinct(p, { limit: 100_000, periodMs: 4 * SECOND });
          for (let sub = 0; sub < 4; sub++) {
            await recordMembers(store, c, T0 + sub * 1000, range(`m`, sub * 1500, 1500));
          }
          await recordMembers(store, c, T0 + 4000, range(`m`, 0, 1000));
          const first = await decide(store, { ...c, member: 'new-1' }, T0 + 4000);
          assertWithin(100_000 - first.remaining, 6001, 0.05, 'union of five sub-buckets');
          // sub-bucket 0 left: 1,000 touched again + 4,500 + new-1
          const later = await decide(store, { ...c, member: 'new-2' }, T0 + 5000);
          assertWithin(100_000 - later.remaining, 5502, 0.05, 'after the oldest sub-bucket left');
        }));

      it('past the exact threshold the limit still holds within 5 %', () =>
        withStore(async (store, p) => {
          const c = distinct(p, { limit: 2000, periodMs: 4 * SECOND });
          let admitted = 0;
          for (let i = 0; i < 3000; i++) {
            if ((await decide(store, { ...c, member: `phone-${i}` }, T0 + Math.floor(i / 10))).allowed) admitted++;
          }
          assertWithin(admitted, 2000, 0.05, 'members admitted');
        }));
    });

    describe('evaluate', () => {
      it('answers one result per check, in order, decided by the store', () =>
        withStore(async (store, p) => {
          const checks = [gcra(p, { id: `${p}#g` }), sliding(p, { id: `${p}#s` }), distinct(p, { id: `${p}#d`, member: 'x' })];
          const result = await store.evaluate(request(checks, T0));
          assert.equal(result.ban, null);
          assert.equal(result.admitted, true);
          assert.equal(result.degraded, false);
          assert.deepEqual(result.newBans, []);
          assert.deepEqual(
            result.results.map((r) => [r.id, r.allowed, r.source]),
            checks.map((c) => [c.id, true, 'store']),
          );
          const empty = await store.evaluate(request([], T0));
          assert.deepEqual(empty, { ban: null, results: [], admitted: true, newBans: [], degraded: false });
        }));

      it('is all-or-nothing: a refused request spends nowhere', () =>
        withStore(async (store, p) => {
          const tight = gcra(p, { id: `${p}#tight`, limit: 1, periodMs: 60 * SECOND, burst: 1 });
          await decide(store, tight, T0);
          const g = gcra(p, { id: `${p}#g`, limit: 10, periodMs: SECOND, burst: 5 });
          const s = sliding(p, { id: `${p}#s`, limit: 5, periodMs: SECOND });
          const d = distinct(p, { id: `${p}#d`, limit: 5, periodMs: 4 * SECOND, member: 'm1' });
          const result = await store.evaluate(request([g, s, d, tight], T0 + 10));
          assert.equal(result.admitted, false);
          assert.deepEqual(
            result.results.map((r) => r.allowed),
            [true, true, true, false],
          );
          // each check alone would have admitted it: remaining as if spent
          assert.deepEqual(
            result.results.map((r) => r.remaining),
            [4, 4, 4, 0],
          );
          // nothing was spent
          assert.deepEqual(await decide(store, { ...g, cost: 0 }, T0 + 10), ok(4, 100));
          assert.deepEqual(await decide(store, { ...s, cost: 0 }, T0 + 10), ok(4, 1990));
          assert.deepEqual(await decide(store, { ...d, member: 'm2' }, T0 + 10), ok(4, 4990));
          assert.deepEqual(await decide(store, { ...d, member: 'm1' }, T0 + 10), ok(3, 4990), 'm1 was not added');
        }));

      it('dry-run checks are reported, never refuse, and spend only when they allow', () =>
        withStore(async (store, p) => {
          const enforce = gcra(p, { id: `${p}#enforce`, limit: 10, periodMs: SECOND, burst: 2 });
          const dry = gcra(p, { id: `${p}#dry`, limit: 10, periodMs: SECOND, burst: 1, dryRun: true });
          let result = await store.evaluate(request([enforce, dry], T0));
          assert.equal(result.admitted, true);
          assert.deepEqual(result.results.map(decision), [ok(1, 100), ok(0, 100)]);
          result = await store.evaluate(request([enforce, dry], T0));
          assert.equal(result.admitted, true, 'a dry-run denial does not refuse');
          assert.deepEqual(result.results.map(decision), [ok(0, 200), denied(0, 100, 100)]);
          // the dry-run check was not spent by its denial: still 100 ms to wait, not 200
          result = await store.evaluate(request([enforce, dry], T0 + 50));
          assert.equal(result.admitted, false);
          assert.deepEqual(result.results.map(decision), [denied(0, 150, 50), denied(0, 50, 50)]);
          // an admitted request spends the dry-run checks that allowed
          result = await store.evaluate(request([enforce, dry], T0 + 200));
          assert.equal(result.admitted, true);
          assert.deepEqual(result.results.map(decision), [ok(1, 100), ok(0, 100)]);
          assert.deepEqual(await decide(store, { ...dry, cost: 0 }, T0 + 200), denied(0, 100, 100));
        }));

      it('keeps separate state per check id and per key', () =>
        withStore(async (store, p) => {
          const base = { limit: 1, periodMs: 60 * SECOND, burst: 1 };
          for (const make of [gcra, sliding, distinct]) {
            const c = make(p, { ...base, id: `${p}#${make.name}`, key: 'ip=203.0.113.7', member: 'a' });
            assert.equal((await decide(store, c, T0)).allowed, true);
            assert.equal((await decide(store, { ...c, member: 'b' }, T0)).allowed, false, `${make.name} spent`);
            assert.equal((await decide(store, { ...c, member: 'b', key: 'ip=203.0.113.8' }, T0)).allowed, true, `${make.name}: other key`);
            assert.equal((await decide(store, { ...c, member: 'b', id: `${c.id}-2` }, T0)).allowed, true, `${make.name}: other id`);
          }
          // id "x", key "y:z" and id "x:y", key "z" are different windows
          const left = gcra(p, { ...base, id: `${p}x`, key: 'y:z' });
          const right = gcra(p, { ...base, id: `${p}x:y`, key: 'z' });
          assert.equal((await decide(store, left, T0)).allowed, true);
          assert.equal((await decide(store, right, T0)).allowed, true);
        }));

      it('record() spends without deciding, past the limit too', () =>
        withStore(async (store, p) => {
          const g = gcra(p, { id: `${p}#g`, limit: 10, periodMs: SECOND, burst: 2 });
          const s = sliding(p, { id: `${p}#s`, limit: 3, periodMs: SECOND });
          const d = distinct(p, { id: `${p}#d`, limit: 2, periodMs: 4 * SECOND });
          await store.record([{ ...g, cost: 5 }, { ...s, cost: 5 }, { ...d, member: 'a' }], T0);
          await store.record([{ ...d, member: 'b' }, { ...d, member: 'c' }, { ...g, cost: 0 }, { ...s, cost: 0 }], T0);
          // gcra: tat = T0 + 500 > T0 + burst span 200
          assert.deepEqual(await decide(store, { ...g, cost: 0 }, T0), denied(0, 500, 400));
          // sliding: 5 in the bucket
          assert.deepEqual(await decide(store, { ...s, cost: 0 }, T0), denied(0, 2000, 1600));
          // distinct: 3 members held (limit 2): known ones pass, new ones do not
          assert.deepEqual(await decide(store, { ...d, member: 'c' }, T0), ok(0, 5000));
          assert.deepEqual(await decide(store, { ...d, member: 'e' }, T0), denied(0, 5000, 5000));
        }));
    });

    describe('bans', () => {
      it('a ban short-circuits: the longest active one among the keys, nothing spent', () =>
        withStore(async (store, p) => {
          const short: Ban = { key: `${p}:ip`, until: T0 + 1000, level: 0, reason: 'operator' };
          const long: Ban = { key: `${p}:subnet`, until: T0 + 5000, level: 0, reason: 'operator' };
          await store.addBan(short);
          await store.addBan(long);
          const c = gcra(p, { limit: 1, periodMs: 60 * SECOND, burst: 1 });
          const keys = [short.key, long.key, `${p}:none`];
          const banned = await store.evaluate({ ...request([c], T0), banKeys: keys });
          assert.deepEqual(banned, { ban: long, results: [], admitted: false, newBans: [], degraded: false });
          const unbanned = await store.evaluate({ ...request([c], T0 + 2000), banKeys: [short.key] });
          assert.equal(unbanned.ban, null, 'expired');
          assert.equal(unbanned.admitted, true, 'the banned request spent nothing');
          assert.deepEqual((await store.evaluate({ ...request([], T0 + 2000), banKeys: keys })).ban, long);
          // the check was spent only by the unbanned request at +2000
          assert.deepEqual(await decide(store, { ...c, cost: 0 }, T0 + 2000), denied(0, 60_000, 60_000));
          assert.equal(await store.removeBan(long.key), true);
          assert.equal(await store.removeBan(long.key), false);
          assert.equal(await store.removeBan(`${p}:never`), false);
          assert.equal((await store.evaluate({ ...request([], T0 + 2000), banKeys: keys })).ban, null);
        }));

      it('addBan replaces the ban held for the same key', () =>
        withStore(async (store, p) => {
          await store.addBan({ key: `${p}:k`, until: T0 + 10_000, level: 0, reason: 'operator' });
          await store.addBan({ key: `${p}:k`, until: T0 + 1000, level: 0, reason: 'shortened' });
          const result = await store.evaluate({ ...request([], T0), banKeys: [`${p}:k`] });
          assert.deepEqual(result.ban, { key: `${p}:k`, until: T0 + 1000, level: 0, reason: 'shortened' });
          assert.equal((await store.evaluate({ ...request([], T0 + 1000), banKeys: [`${p}:k`] })).ban, null);
        }));

      it('listBans: active bans only, longest-lasting first, at most `limit`', () =>
        withStore(async (store, p) => {
          // far beyond other tests' bans; assertions also hold when a shared store lists others' bans
          const far = Date.UTC(2130, 0, 1) + Math.floor(Math.random() * 1e9) * 10;
          const bans: Ban[] = [
            { key: `${p}:b`, until: far + 1000, level: 1, reason: 'rule-a' },
            { key: `${p}:c`, until: far + 3000, level: 0, reason: 'operator' },
            { key: `${p}:a`, until: far + 2000, level: 2, reason: 'rule-b' },
            { key: `${p}:expired`, until: T0 - 1, level: 0, reason: 'operator' },
          ];
          try {
            for (const ban of bans) await store.addBan(ban);
            const mine = (await store.listBans(T0, 100_000)).filter((ban) => ban.key.startsWith(p));
            assert.deepEqual(mine, [bans[1], bans[2], bans[0]]);
            const top = await store.listBans(T0, 2);
            assert.equal(top.length, 2);
            assert.ok(top[0]!.until >= far + 3000 && top[1]!.until >= far + 2000 && top[0]!.until >= top[1]!.until, 'longest first');
            if (top.every((ban) => ban.key.startsWith(p))) assert.deepEqual(top, [bans[1], bans[2]]);
            const later = await store.listBans(far + 2000, 100_000);
            assert.deepEqual(
              later.filter((ban) => ban.key.startsWith(p)),
              [bans[1]],
              'only the ban still active at far + 2000',
            );
            assert.ok(later.every((ban) => ban.until > far + 2000));
            assert.equal((await store.listBans(T0)).length <= 100, true, 'default limit 100');
          } finally {
            for (const ban of bans) await store.removeBan(ban.key);
          }
        }));
    });

    describe('escalation', () => {
      /** a check refused until T0 + 10^9 after one admission at T0 */
      function strict(p: string): LimitCheck {
        return gcra(p, { id: `${p}#strict`, limit: 1, periodMs: 1_000_000_000, burst: 1 });
      }
      function escalation(p: string, overrides: Partial<BanEscalation> = {}): BanEscalation {
        return {
          checkIds: [`${p}#strict`],
          banKey: `${p}:ip`,
          after: 3,
          withinMs: 10_000,
          durationsMs: [60_000, 600_000],
          resetAfterMs: 3_600_000,
          reason: `${p}-rule`,
          ...overrides,
        };
      }
      async function violate(store: LimiterStore, p: string, now: number, esc: BanEscalation[]): Promise<EvaluateResult> {
        const result = await store.evaluate({ banKeys: [], checks: [strict(p)], escalations: esc, now });
        assert.equal(result.admitted, false);
        return result;
      }

      it('bans after `after` violations, with levels rising, repeating the last duration, and decaying', () =>
        withStore(async (store, p) => {
          const esc = [escalation(p)];
          await decide(store, strict(p), T0);
          assert.deepEqual((await violate(store, p, T0 + 1, esc)).newBans, []);
          assert.deepEqual((await violate(store, p, T0 + 2, esc)).newBans, []);
          const first: Ban = { key: `${p}:ip`, until: T0 + 3 + 60_000, level: 1, reason: `${p}-rule` };
          assert.deepEqual((await violate(store, p, T0 + 3, esc)).newBans, [first]);
          const banned = await store.evaluate({ banKeys: [`${p}:ip`], checks: [strict(p)], escalations: esc, now: T0 + 4 });
          assert.deepEqual(banned.ban, first);
          // the counter restarted at the ban: three more for level 2
          let t = first.until;
          await violate(store, p, t, esc);
          await violate(store, p, t + 1, esc);
          const second = (await violate(store, p, t + 2, esc)).newBans;
          assert.deepEqual(second, [{ key: `${p}:ip`, until: t + 2 + 600_000, level: 2, reason: `${p}-rule` }]);
          // level 3 repeats the last duration
          t = t + 2 + 600_000;
          await violate(store, p, t, esc);
          await violate(store, p, t + 1, esc);
          const third = (await violate(store, p, t + 2, esc)).newBans;
          assert.deepEqual(third, [{ key: `${p}:ip`, until: t + 2 + 600_000, level: 3, reason: `${p}-rule` }]);
          // the level lasts resetAfterMs after the end of the last ban, then starts again at 1
          const end = t + 2 + 600_000;
          t = end + 3_600_000;
          await violate(store, p, t - 3, esc);
          await violate(store, p, t - 2, esc);
          assert.equal((await violate(store, p, t - 1, esc)).newBans[0]?.level, 4, 'still within resetAfterMs');
          t = t - 1 + 600_000 + 3_600_000;
          await violate(store, p, t, esc);
          await violate(store, p, t + 1, esc);
          assert.deepEqual((await violate(store, p, t + 2, esc)).newBans, [
            { key: `${p}:ip`, until: t + 2 + 60_000, level: 1, reason: `${p}-rule` },
          ]);
        }));

      it('the violation counter expires withinMs after its first violation', () =>
        withStore(async (store, p) => {
          const esc = [escalation(p)];
          await decide(store, strict(p), T0);
          await violate(store, p, T0 + 1, esc);
          await violate(store, p, T0 + 2, esc);
          // counter expired at T0 + 1 + 10,000: this is violation 1 of a new count
          assert.deepEqual((await violate(store, p, T0 + 10_001, esc)).newBans, []);
          assert.deepEqual((await violate(store, p, T0 + 10_002, esc)).newBans, []);
          assert.equal((await violate(store, p, T0 + 10_003, esc)).newBans.length, 1);
        }));

      it('only enforcing denials of the listed checks count', () =>
        withStore(async (store, p) => {
          const esc = [escalation(p, { after: 1 })];
          const other = gcra(p, { id: `${p}#other`, limit: 1, periodMs: 1_000_000_000, burst: 1 });
          await store.evaluate(request([strict(p), other], T0));
          const dryStrict = { ...strict(p), dryRun: true };
          let result = await store.evaluate({ banKeys: [], checks: [dryStrict, other], escalations: esc, now: T0 + 1 });
          assert.deepEqual(result.results.map((r) => r.allowed), [false, false]);
          assert.equal(result.admitted, false);
          assert.deepEqual(result.newBans, [], 'dry-run denial of a listed check, enforcing denial of an unlisted one');
          result = await store.evaluate({ banKeys: [], checks: [dryStrict], escalations: esc, now: T0 + 2 });
          assert.equal(result.admitted, true);
          assert.deepEqual(result.newBans, []);
          result = await store.evaluate({ banKeys: [], checks: [strict(p)], escalations: esc, now: T0 + 3 });
          assert.deepEqual(result.newBans, [{ key: `${p}:ip`, until: T0 + 3 + 60_000, level: 1, reason: `${p}-rule` }]);
          const stored = await store.evaluate({ banKeys: [`${p}:ip`], checks: [], escalations: [], now: T0 + 4 });
          assert.deepEqual(stored.ban, result.newBans[0]);
        }));

      it('counters are per rule, levels per ban key, and one ban per key per step', () =>
        withStore(async (store, p) => {
          const common = { after: 2, withinMs: 100_000_000, durationsMs: [1000, 5000] };
          const esc = [escalation(p, { ...common, reason: `${p}-r1` }), escalation(p, { ...common, reason: `${p}-r2` })];
          await decide(store, strict(p), T0);
          assert.deepEqual((await violate(store, p, T0 + 1, esc)).newBans, []);
          // r1 reaches 2 and bans; r2 is skipped in this step (its count stays 1)
          assert.deepEqual((await violate(store, p, T0 + 2, esc)).newBans, [
            { key: `${p}:ip`, until: T0 + 1002, level: 1, reason: `${p}-r1` },
          ]);
          // r1 counts 1, r2 reaches 2: level 2 on the same key
          assert.deepEqual((await violate(store, p, T0 + 2000, esc)).newBans, [
            { key: `${p}:ip`, until: T0 + 7000, level: 2, reason: `${p}-r2` },
          ]);
        }));
    });
  });
}

// -- helpers -----------------------------------------------------------------

function gcra(p: string, overrides: Partial<LimitCheck> = {}): LimitCheck {
  return makeCheck(p, 'gcra', overrides);
}

function sliding(p: string, overrides: Partial<LimitCheck> = {}): LimitCheck {
  return makeCheck(p, 'sliding', overrides);
}

function distinct(p: string, overrides: Partial<LimitCheck> = {}): LimitCheck {
  return makeCheck(p, 'distinct', { member: 'm', ...overrides });
}

function makeCheck(p: string, algorithm: LimitCheck['algorithm'], overrides: Partial<LimitCheck>): LimitCheck {
  return {
    id: `${p}#${algorithm}`,
    key: 'ip=203.0.113.7',
    algorithm,
    limit: 10,
    periodMs: SECOND,
    burst: 1,
    cost: 1,
    dryRun: false,
    onFailure: 'open',
    ...overrides,
  };
}

function request(checks: LimitCheck[], now: number): EvaluateRequest {
  return { banKeys: [], checks, escalations: [], now };
}

function decision(result: CheckResult): Decision {
  return { allowed: result.allowed, remaining: result.remaining, resetMs: result.resetMs, retryAfterMs: result.retryAfterMs };
}

function ok(remaining: number, resetMs: number): Decision {
  return { allowed: true, remaining, resetMs, retryAfterMs: 0 };
}

function denied(remaining: number, resetMs: number, retryAfterMs: number): Decision {
  return { allowed: false, remaining, resetMs, retryAfterMs };
}

/** evaluates one check alone (spending when allowed) and checks the envelope */
async function decide(store: LimiterStore, check: LimitCheck, now: number): Promise<Decision> {
  const result = await store.evaluate(request([check], now));
  assert.equal(result.results.length, 1);
  const only = result.results[0] as CheckResult;
  assert.equal(only.id, check.id);
  assert.equal(only.source, 'store');
  assert.equal(result.degraded, false);
  assert.equal(result.admitted, only.allowed || check.dryRun);
  return decision(only);
}

/** a look (cost 0 = cost 1) is refused 1 ms before `now + wait` and admitted at it */
async function assertExactWait(store: LimiterStore, check: LimitCheck, now: number, wait: number): Promise<void> {
  assert.ok(wait >= 1, `wait ${wait}`);
  const look = { ...check, cost: 0 };
  if (wait > 1) assert.equal((await decide(store, look, now + wait - 1)).allowed, false, `refused at +${wait - 1}`);
  assert.equal((await decide(store, look, now + wait)).allowed, true, `admitted at +${wait}`);
}

async function recordMembers(store: LimiterStore, check: LimitCheck, now: number, members: string[]): Promise<void> {
  for (let i = 0; i < members.length; i += 500) {
    await store.record(
      members.slice(i, i + 500).map((member) => ({ ...check, member })),
      now,
    );
  }
}

function range(prefix: string, from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${from + i}`);
}

function assertWithin(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= expected * tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance * 100} %`,
  );
}
