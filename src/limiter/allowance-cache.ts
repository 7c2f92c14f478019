/**
 * Local allowances: requests of a key far under its limits admitted by this
 * instance without asking Redis, their cost written to Redis afterwards.
 *
 * When Redis admits a request and every window of it has plenty left, the
 * same request (same ban keys, same checks, same keys, same cost) may be
 * admitted here up to `units` more times within `ttlMs`, where
 *
 *   units = min over its windows of floor(min(share × remaining,
 *           remaining − capacity / 2) / cost), at most maxUnits
 *
 * (capacity: the burst of a gcra window, the limit of a sliding one;
 * remaining: what Redis said is left after the request). The units used are
 * pending: they reach Redis with this key's next call (spent before it is
 * decided, in the same call: no extra round trip), or, for a key that does
 * not come back, in one background call for all such keys.
 *
 * The error, as docs/configuration.md ("Local allowances") tells users:
 *   - over-admission: a unit admitted here is invisible to the other
 *     instances until written. Allowances exist only while a window has
 *     more than half its capacity left, and each is at most `share` of what
 *     was left, so N instances together hold at most N × share × capacity
 *     unseen. Redis does not reserve them: other instances can take the
 *     window to its limit while they are unwritten, and the client is then
 *     admitted past the limit by what was unseen at that moment (seen: 3
 *     gateways, 1/16, 200/h: 201-203). Hence off by default in the policy
 *     (rateLimits.redis.localAllowance); exact with a single instance;
 *   - a spend written late is counted at the time it is written, not the
 *     time it was admitted: a window counts it for longer (stricter, never
 *     looser);
 *   - a ban placed by another instance (in Redis) on a client reaches this
 *     store at its next call to Redis for that client: at most `ttlMs`
 *     later (the gateway's ban mirror, checked first, sees it within a
 *     second). Bans this store learns of end every allowance at once.
 * Never cached: requests with a distinct check (each member differs), with
 * a look-only check (cost 0: counted by outcome), refused or degraded ones.
 */
import type { CheckResult, EvaluateRequest, EvaluateResult, LimitCheck } from './types.ts';

export interface AllowanceOptions {
  /** share of what a window has left that one instance may admit unseen (0 = off); default 1/16 */
  share: number;
  /** how long an allowance lasts; default 5000 ms */
  ttlMs: number;
  /** the most units one allowance holds; default 64 */
  maxUnits: number;
  /**
   * allowances held at most (the oldest goes first); default 100,000: about
   * 55 MB (~550 bytes each with one check: its signature, its checks, itself)
   */
  maxEntries: number;
}

/**
 * 5 s: the time to live bounds neither the over-admission (the share does)
 * nor ban visibility in the gateway (its ban mirror, checked before the
 * limiter, refreshes every second); it bounds how late a unit is written,
 * and a client at a steady 1 request/s keeps its allowance from call to call.
 */
export const DEFAULT_ALLOWANCE_OPTIONS: AllowanceOptions = { share: 1 / 16, ttlMs: 5000, maxUnits: 64, maxEntries: 100_000 };

interface Allowance {
  checks: readonly LimitCheck[];
  /** when Redis granted it, and until when it may be used */
  time: number;
  until: number;
  /** units still to admit locally */
  left: number;
  /** units admitted locally, not yet written to Redis */
  pending: number;
  /** the `now` of the latest local admission: the time the pending units are written at by flush */
  lastNow: number;
  /** flush ticks seen while untouched: written by the background flush after the second */
  idleTicks: number;
  /** Redis' answer when granted, per check: remaining (counted down by the units used since), resetMs */
  counts: number[];
}

/** units used locally of one request, to be written to Redis */
export interface PendingSpend {
  checks: readonly LimitCheck[];
  units: number;
  now: number;
}

export interface AllowanceCache {
  /**
   * A local admission of `request` from its allowance, or null. When null,
   * `takePending` gives what this request's next call to Redis must spend
   * first.
   */
  admit(request: EvaluateRequest): EvaluateResult | null;
  /** the units admitted locally for this request not yet written, now handed to the caller (0 if none) */
  takePending(request: EvaluateRequest): number;
  /** units the caller failed to write: kept for the background flush */
  restorePending(request: EvaluateRequest, units: number): void;
  /** a store's answer: grants an allowance when the request was admitted far under every limit */
  grant(request: EvaluateRequest, result: EvaluateResult): void;
  /** a ban was seen: no more local admissions (pending units stay, to be written) */
  endAll(): void;
  /**
   * One background tick: pending units of allowances untouched for two ticks
   * (or all of them with `everything`), removed from the cache
   */
  collect(everything: boolean): PendingSpend[];
  readonly size: number;
  /** requests admitted locally */
  readonly hits: number;
}

export function createAllowanceCache(options: AllowanceOptions): AllowanceCache {
  const { share, ttlMs, maxUnits, maxEntries } = options;
  // insertion order = age; a full cache hands its oldest entry to the next flush
  const entries = new Map<string, Allowance>();
  const evicted: PendingSpend[] = [];
  let hits = 0;
  const isOn = share > 0 && ttlMs > 0 && maxUnits > 0 && maxEntries > 0;

  function unitsFor(request: EvaluateRequest, result: EvaluateResult): number {
    let units = maxUnits;
    const checks = request.checks;
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      const r = result.results[i]!;
      if (!r.allowed || r.source !== 'store' || c.cost <= 0 || c.algorithm === 'distinct') return 0;
      const capacity = c.algorithm === 'gcra' ? c.burst : c.limit;
      const spare = Math.min(share * r.remaining, r.remaining - capacity / 2);
      units = Math.min(units, Math.floor(spare / c.cost));
      if (units < 1) return 0;
    }
    return units;
  }

  return {
    get size() {
      return entries.size;
    },
    get hits() {
      return hits;
    },

    // hot path: one string and one Map lookup per request
    admit(request) {
      if (entries.size === 0) return null;
      const signature = signatureOf(request);
      if (signature === null) return null;
      const a = entries.get(signature);
      if (a === undefined || a.left < 1) return null;
      const now = request.now;
      if (now >= a.until || now < a.time) {
        a.left = 0;
        return null;
      }
      a.left--;
      a.pending++;
      a.lastNow = now;
      a.idleTicks = 0;
      hits++;
      const elapsed = now - a.time;
      const results: CheckResult[] = [];
      for (let i = 0; i < a.checks.length; i++) {
        const c = a.checks[i]!;
        results.push({
          id: c.id, allowed: true, remaining: Math.max(0, a.counts[2 * i]! - a.pending * c.cost),
          resetMs: Math.max(0, a.counts[2 * i + 1]! - elapsed), retryAfterMs: 0, source: 'store',
        });
      }
      return { ban: null, results, admitted: true, newBans: [], degraded: false };
    },

    takePending(request) {
      if (entries.size === 0) return 0;
      const signature = signatureOf(request);
      if (signature === null) return 0;
      const a = entries.get(signature);
      if (a === undefined) return 0;
      entries.delete(signature);
      return a.pending;
    },

    restorePending(request, units) {
      if (units > 0) evicted.push({ checks: request.checks, units, now: request.now });
    },

    grant(request, result) {
      if (!isOn || !result.admitted || result.ban !== null || result.degraded || result.results.length !== request.checks.length) return;
      const units = unitsFor(request, result);
      if (units < 1) return;
      const signature = signatureOf(request);
      if (signature === null) return;
      const held = entries.get(signature);
      if (held !== undefined) {
        // granted again before the old one was handed over (two calls in flight): keep its pending units
        if (held.pending > 0) evicted.push({ checks: held.checks, units: held.pending, now: held.lastNow });
        entries.delete(signature);
      } else if (entries.size >= maxEntries) {
        const [oldestKey, oldest] = entries.entries().next().value as [string, Allowance];
        entries.delete(oldestKey);
        if (oldest.pending > 0) evicted.push({ checks: oldest.checks, units: oldest.pending, now: oldest.lastNow });
      }
      const now = request.now;
      // sized up front: push() would leave spare capacity in each of up to maxEntries arrays
      const counts = new Array<number>(2 * result.results.length);
      for (let i = 0; i < result.results.length; i++) {
        counts[2 * i] = result.results[i]!.remaining;
        counts[2 * i + 1] = result.results[i]!.resetMs;
      }
      entries.set(signature, { checks: request.checks, time: now, until: now + ttlMs, left: units, pending: 0, lastNow: now, idleTicks: 0, counts });
    },

    endAll() {
      for (const a of entries.values()) a.left = 0;
    },

    collect(everything) {
      const due = evicted.splice(0);
      for (const [signature, a] of entries) {
        if (!everything && ++a.idleTicks < 2) continue;
        entries.delete(signature);
        if (a.pending > 0) due.push({ checks: a.checks, units: a.pending, now: a.lastNow });
      }
      return due;
    },
  };
}

/** what makes two requests the same here: ban keys and checks; null when the request may not be cached */
function signatureOf(request: EvaluateRequest): string | null {
  const checks = request.checks;
  if (checks.length === 0) return null;
  const parts: string[] = [];
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    if (c.algorithm === 'distinct' || c.cost <= 0) return null;
    parts.push(c.id, c.key, c.algorithm, String(c.limit), String(c.periodMs), String(c.burst), String(c.cost), c.dryRun ? '1' : '0');
  }
  // the client's ban keys: a lease of one client never admits another (who may be banned)
  parts.push('', ...request.banKeys);
  return parts.join('\u0000');
}
