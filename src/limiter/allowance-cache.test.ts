import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAllowanceCache, DEFAULT_ALLOWANCE_OPTIONS } from './allowance-cache.ts';
import type { CheckResult, EvaluateRequest, EvaluateResult, LimitCheck } from './types.ts';

const T0 = Date.UTC(2030, 0, 1);

function check(overrides: Partial<LimitCheck> = {}): LimitCheck {
  return { id: 'per-client#0', key: 'ip=203.0.113.7', algorithm: 'sliding', limit: 1000, periodMs: 3_600_000, burst: 1000, cost: 1, dryRun: false, onFailure: 'local', ...overrides };
}

function request(checks: LimitCheck[], now = T0, banKeys = ['ip:203.0.113.7']): EvaluateRequest {
  return { banKeys, checks, escalations: [], now };
}

/** a store's admission with `remaining` left in every window */
function admitted(req: EvaluateRequest, remaining: number[]): EvaluateResult {
  const results: CheckResult[] = req.checks.map((c, i) => ({ id: c.id, allowed: true, remaining: remaining[i]!, resetMs: 60_000, retryAfterMs: 0, source: 'store' }));
  return { ban: null, results, admitted: true, newBans: [], degraded: false };
}

/** how many times the cache admits `req` locally in a row */
function drain(cache: ReturnType<typeof createAllowanceCache>, req: EvaluateRequest): number {
  let n = 0;
  while (cache.admit(req) !== null) n++;
  return n;
}

describe('local allowances', () => {
  it('grants 1/16 of what is left while a window is far under its limit, and counts remaining down', () => {
    const cache = createAllowanceCache(DEFAULT_ALLOWANCE_OPTIONS);
    const req = request([check()]);
    cache.grant(req, admitted(req, [960]));
    const first = cache.admit(req);
    assert.ok(first !== null && first.admitted);
    assert.equal(first.results[0]!.remaining, 959);
    assert.equal(drain(cache, req), 59, '960 / 16 = 60 units in all');
    assert.equal(cache.takePending(req), 60, 'every local admission is handed over, to be written to Redis');
    assert.equal(cache.takePending(req), 0);
  });

  it('grants nothing once half the capacity is used, and never more than leaves half', () => {
    const cache = createAllowanceCache(DEFAULT_ALLOWANCE_OPTIONS);
    const req = request([check()]);
    cache.grant(req, admitted(req, [500]));
    assert.equal(cache.admit(req), null);
    cache.grant(req, admitted(req, [520]));
    assert.equal(drain(cache, req), 20, 'min(520 / 16, 520 - 500) = 20');
  });

  it('takes the tightest window of a request, weighted by its cost', () => {
    const cache = createAllowanceCache(DEFAULT_ALLOWANCE_OPTIONS);
    const req = request([check({ algorithm: 'gcra', limit: 100, burst: 200, cost: 2 }), check({ id: 'per-client#1', cost: 2 })]);
    cache.grant(req, admitted(req, [196, 900]));
    // gcra: capacity is the burst; min(196 / 16, 196 - 100) = 12.25 units of cost 2 → 6 requests
    assert.equal(drain(cache, req), 6);
  });

  it('never caches distinct checks, look-only checks, refusals or degraded answers', () => {
    const cache = createAllowanceCache(DEFAULT_ALLOWANCE_OPTIONS);
    const distinct = request([check({ algorithm: 'distinct', member: '+15551234567' })]);
    cache.grant(distinct, admitted(distinct, [900]));
    const lookOnly = request([check({ cost: 0 })]);
    cache.grant(lookOnly, admitted(lookOnly, [900]));
    const refused = request([check({ key: 'ip=198.51.100.1' })]);
    cache.grant(refused, { ...admitted(refused, [900]), admitted: false });
    const degraded = request([check({ key: 'ip=198.51.100.2' })]);
    cache.grant(degraded, { ...admitted(degraded, [900]), degraded: true });
    assert.equal(cache.size, 0);
    for (const r of [distinct, lookOnly, refused, degraded]) assert.equal(cache.admit(r), null);
  });

  it("one client's allowance never admits another client (who may be banned)", () => {
    const cache = createAllowanceCache(DEFAULT_ALLOWANCE_OPTIONS);
    // a rule keyed on the phone number: both clients' checks are the same, their ban keys are not
    const phone = [check({ key: 'phone=%2B15551234567' })];
    const mine = request(phone, T0, ['ip:203.0.113.7']);
    cache.grant(mine, admitted(mine, [900]));
    assert.equal(cache.admit(request(phone, T0, ['ip:198.51.100.9'])), null);
    assert.ok(cache.admit(mine) !== null);
  });

  it('ends after its time to live, and at once when a ban is seen; pending units stay to be written', () => {
    const cache = createAllowanceCache(DEFAULT_ALLOWANCE_OPTIONS);
    const req = request([check()]);
    cache.grant(req, admitted(req, [900]));
    assert.ok(cache.admit(req) !== null);
    assert.equal(cache.admit(request(req.checks as LimitCheck[], T0 + DEFAULT_ALLOWANCE_OPTIONS.ttlMs)), null);
    assert.equal(cache.takePending(req), 1);

    cache.grant(req, admitted(req, [900]));
    assert.ok(cache.admit(req) !== null);
    cache.endAll();
    assert.equal(cache.admit(req), null);
    assert.equal(cache.takePending(req), 1);
  });

  it('hands the units of keys that do not come back to the background write after two idle ticks', () => {
    const cache = createAllowanceCache(DEFAULT_ALLOWANCE_OPTIONS);
    const req = request([check()]);
    cache.grant(req, admitted(req, [900]));
    cache.admit(req);
    cache.admit(request(req.checks as LimitCheck[], T0 + 5));
    assert.deepEqual(cache.collect(false), [], 'one tick: still in use');
    const due = cache.collect(false);
    assert.equal(due.length, 1);
    assert.equal(due[0]!.units, 2);
    assert.equal(due[0]!.now, T0 + 5, 'written at the time of the latest local admission');
    assert.equal(cache.size, 0);
  });

  it('keeps at most maxEntries; an evicted allowance hands its units to the next write', () => {
    const cache = createAllowanceCache({ ...DEFAULT_ALLOWANCE_OPTIONS, maxEntries: 2 });
    const reqs = [1, 2, 3].map((i) => request([check({ key: `ip=203.0.113.${i}` })], T0, [`ip:203.0.113.${i}`]));
    for (const r of reqs) {
      cache.grant(r, admitted(r, [900]));
      cache.admit(r);
    }
    assert.equal(cache.size, 2);
    assert.equal(cache.admit(reqs[0]!), null, 'the oldest went');
    const due = cache.collect(false);
    assert.deepEqual(due.map((d) => [d.checks[0]!.key, d.units]), [['ip=203.0.113.1', 1]]);
  });

  it('share 0 turns it off', () => {
    const cache = createAllowanceCache({ ...DEFAULT_ALLOWANCE_OPTIONS, share: 0 });
    const req = request([check()]);
    cache.grant(req, admitted(req, [1000]));
    assert.equal(cache.admit(req), null);
  });
});
