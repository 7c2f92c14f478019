/**
 * Sliding window counter, as pure functions of (state, now).
 *
 * State: the index of the current fixed bucket (floor(now / P)), its count
 * and the previous bucket's count: three integers per key, whatever the
 * traffic. At `now`, with r = now mod P and f = r / P, the window's count is
 *
 *   count = previous * (1 - f) + current
 *
 * i.e. the previous bucket weighted by how much of it the window [now-P, now]
 * still overlaps, assuming its requests were spread evenly.
 *
 *   allowed iff count + c <= limit              (c = cost, or 1 when cost = 0)
 *   allowed → remaining = floor(limit - count - c); spending adds c to current
 *   denied  → remaining = max(0, floor(limit - count)), nothing changes
 *
 * Exact integer arithmetic: everything is compared multiplied by P, so
 * `count * P = previous * (P - r) + current * P` is an integer (exact in a
 * double below 2^53: limit * P up to 9e15, e.g. 10^8 per day) and there is no
 * round-off to agree on between stores.
 *
 * retryAfterMs (denied): the smallest whole wait d >= 1 after which this
 * request would be admitted with no further traffic:
 *   - within this bucket only `previous` decays: if previous > 0 and
 *     limit - current - c >= 0, d = (P - r) - floor((limit - current - c) * P / previous),
 *     taken when d < P - r;
 *   - otherwise at e ms into the next bucket, where `current` has become the
 *     previous bucket and decays: e = current = 0 ? 0 : max(0, P - floor((limit - c) * P / current)),
 *     d = (P - r) + e (e = P: the bucket after next, when the window is empty);
 *   - a cost above the limit is never admitted: d = max(1, resetMs).
 * resetMs: ms until the count would be 0 with no further traffic: the end of
 * the next bucket (2P - r) when current > 0, the end of this one (P - r) when
 * only previous > 0, else 0. For an admitted request it is computed after the
 * spend (so 2P - r); a look (cost 0) reports what cost 1 would.
 *
 * Clock behind the state (another instance's clock, or a caller's): a `now`
 * in a bucket before the stored one counts as the start of the stored bucket
 * (f = 0, the most conservative point); waits are then from that instant plus
 * the difference.
 *
 * Approximation bound (tested in algorithms.property.test.ts): the admitted
 * count in any real window of length P is at most limit + previous * f, so
 * below 2 * limit: an adversary timing its requests can get at most
 * 2 * limit - 1 through in one period, never the 2 * limit of a fixed window
 * at a boundary, and a fixed bucket never holds more than `limit`.
 */
import type { WindowDecision } from './gcra.ts';

export interface SlidingParams {
  limit: number;
  periodMs: number;
  cost: number;
}

/** bucket = floor(now / periodMs) of the last spend; counts are units spent */
export interface SlidingState {
  bucket: number;
  current: number;
  previous: number;
}

/**
 * Decides one request against `state` (undefined for a fresh key) and writes
 * the decision into `out`. Does not spend: call slidingSpend when admitted.
 */
export function slidingDecide<T extends WindowDecision>(
  state: SlidingState | undefined,
  now: number,
  params: SlidingParams,
  out: T,
): T {
  const period = params.periodMs;
  const limit = params.limit;
  const cost = params.cost === 0 ? 1 : params.cost;
  const bucket = Math.floor(now / period);
  let offset = now - bucket * period;
  let behind = 0;
  let current = 0;
  let previous = 0;
  if (state !== undefined) {
    if (bucket === state.bucket) {
      current = state.current;
      previous = state.previous;
    } else if (bucket === state.bucket + 1) {
      previous = state.current;
    } else if (bucket < state.bucket) {
      behind = state.bucket * period - now;
      offset = 0;
      current = state.current;
      previous = state.previous;
    }
  }
  // count * P, exact
  const weighted = previous * (period - offset) + current * period;
  const limitP = limit * period;
  if (weighted + cost * period <= limitP) {
    out.allowed = true;
    out.remaining = Math.floor((limitP - weighted - cost * period) / period);
    out.resetMs = behind + 2 * period - offset;
    out.retryAfterMs = 0;
    return out;
  }
  out.allowed = false;
  out.remaining = Math.max(0, Math.floor((limitP - weighted) / period));
  const reset = current > 0 ? 2 * period - offset : previous > 0 ? period - offset : 0;
  out.resetMs = reset === 0 ? 0 : behind + reset;
  out.retryAfterMs = behind + slidingWait(current, previous, offset, period, limit, cost, reset);
  return out;
}

/** the smallest whole wait after which a denied request is admitted (see module comment) */
function slidingWait(
  current: number,
  previous: number,
  offset: number,
  period: number,
  limit: number,
  cost: number,
  reset: number,
): number {
  if (cost > limit) return Math.max(1, reset);
  const left = period - offset;
  const room = limit - current - cost;
  if (previous > 0 && room >= 0) {
    const wait = left - Math.floor((room * period) / previous);
    if (wait < left) return wait;
  }
  const intoNext = current === 0 ? 0 : Math.max(0, period - Math.floor(((limit - cost) * period) / current));
  return left + intoNext;
}

/**
 * The state after spending `cost` at `now` with no decision (also what an
 * admitted request spends): the buckets roll forward, then current += cost.
 * With `into`, that object is updated and returned (no allocation); cost 0
 * returns the state unchanged (possibly undefined).
 */
export function slidingSpend(
  state: SlidingState | undefined,
  now: number,
  periodMs: number,
  cost: number,
  into?: SlidingState,
): SlidingState | undefined {
  if (cost === 0) return state;
  const bucket = Math.floor(now / periodMs);
  let current = 0;
  let previous = 0;
  let at = bucket;
  if (state !== undefined) {
    if (bucket === state.bucket) {
      current = state.current;
      previous = state.previous;
    } else if (bucket === state.bucket + 1) {
      previous = state.current;
    } else if (bucket < state.bucket) {
      at = state.bucket;
      current = state.current;
      previous = state.previous;
    }
  }
  const target = into ?? { bucket: 0, current: 0, previous: 0 };
  target.bucket = at;
  target.current = current + cost;
  target.previous = previous;
  return target;
}

/** epoch ms after which the state counts nothing (the store may drop it) */
export function slidingExpiresAt(state: SlidingState, periodMs: number): number {
  if (state.current > 0) return (state.bucket + 2) * periodMs;
  if (state.previous > 0) return (state.bucket + 1) * periodMs;
  return 0;
}
