/**
 * GCRA (generic cell rate algorithm, ITU-T I.371 "virtual scheduling"), as a
 * pure function of (state, now): no clock and no storage here, so the memory
 * and Redis stores share one definition and tests control time.
 *
 * State: one number, the theoretical arrival time `tat` (epoch ms; a key with
 * no state, or with tat <= now, is a full bucket).
 *
 *   T = periodMs / limit                       emission interval
 *   newTat = max(tat, now) + T * c             c = cost, or 1 when cost = 0
 *   allowed  iff  newTat - now <= T * burst
 *
 * allowed → remaining = floor((T*burst - (newTat - now)) / T),
 *           resetMs = newTat - now, retryAfterMs = 0; spending sets tat = newTat
 * denied  → nothing changes; remaining = max(0, floor((T*burst - (max(tat,now) - now)) / T)),
 *           retryAfterMs = ceil(newTat - now - T*burst), resetMs = max(tat,now) - now
 *
 * cost 0 ("look only") is decided and reported exactly as cost 1, and spends
 * nothing. A cost above `burst` is never admitted; its retryAfterMs is still
 * given by the formula above (the wait until the bucket could hold it if the
 * burst were larger), which callers should treat as a configuration error.
 *
 * Floating point: T is fractional in general (1000/3) and tat is an epoch
 * value (~1.7e12, ulp ≈ 2.4e-4 ms), so sums carry round-off (about 1e-4 ms
 * per spend in a chain). Every comparison and rounding therefore ignores
 * differences below EPS = min(0.01 ms, T/10): a request an exact computation
 * admits is not denied by round-off, and the slack is never more than a tenth
 * of a unit, so it can never admit an extra one. The results equal exact
 * rational arithmetic whenever 1/limit ms > EPS, i.e. for any limit below 100
 * (all times are then multiples of 1/limit ms; the property test checks this
 * against an integer model). Time outputs are whole ms:
 * resetMs = ceil(x - EPS), retryAfterMs = ceil(x - EPS) (>= 1 when denied).
 * Stores must compute with IEEE doubles in the same order (Redis' Lua does;
 * store tat with full precision, e.g. string.format('%.17g')).
 */

/** the fields of a LimitCheck that GCRA reads */
export interface GcraParams {
  limit: number;
  periodMs: number;
  burst: number;
  cost: number;
}

/** the decision fields shared by every algorithm (a CheckResult has them all) */
export interface WindowDecision {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
}

/** tolerance for round-off on epoch-scale sums, see the module comment */
export function gcraEpsilon(emissionMs: number): number {
  return Math.min(0.01, emissionMs / 10);
}

/**
 * Decides one request against `tat` (0 or any value <= now for a fresh key)
 * and writes the decision into `out` (a CheckResult can be passed, to avoid an
 * allocation on the hot path). Does not spend: call gcraSpend when admitted.
 */
export function gcraDecide<T extends WindowDecision>(tat: number, now: number, params: GcraParams, out: T): T {
  const emission = params.periodMs / params.limit;
  const eps = gcraEpsilon(emission);
  const cost = params.cost === 0 ? 1 : params.cost;
  const base = tat > now ? tat : now;
  const newTat = base + emission * cost;
  const span = emission * params.burst;
  if (newTat - now <= span + eps) {
    out.allowed = true;
    out.remaining = Math.max(0, Math.floor((span - (newTat - now) + eps) / emission));
    out.resetMs = Math.max(0, Math.ceil(newTat - now - eps));
    out.retryAfterMs = 0;
  } else {
    out.allowed = false;
    out.remaining = Math.max(0, Math.floor((span - (base - now) + eps) / emission));
    out.resetMs = Math.max(0, Math.ceil(base - now - eps));
    out.retryAfterMs = Math.max(1, Math.ceil(newTat - now - span - eps));
  }
  return out;
}

/**
 * The state after spending `cost` at `now` with no decision (also what an
 * admitted request spends): max(tat, now) + T * cost, even past the burst.
 * Cost 0 leaves the state as it is.
 */
export function gcraSpend(tat: number, now: number, params: Pick<GcraParams, 'limit' | 'periodMs'>, cost: number): number {
  if (cost === 0) return tat;
  return (tat > now ? tat : now) + (params.periodMs / params.limit) * cost;
}
