/**
 * Refusals of a shared store remembered locally until they can end. A
 * request refused at `now` because a window answered "retry in R ms" is
 * refused again, by any instance, at every moment before now + R: other
 * instances can only spend more, and a GCRA or sliding window only frees
 * room as time passes (gcra.ts, sliding.ts: retryAfterMs is exactly the
 * wait with no other traffic). So the same request (same checks, same
 * keys, same cost) can be answered here without asking Redis, with the
 * same decision Redis would give. Under an enumeration flood that is most
 * requests: the bot's retries stop costing Redis anything.
 *
 * An admission can end in the same knowledge: a GCRA window that admitted
 * a request and has less than its cost left refuses the same request until
 * enough of its interval has passed (gcra.ts: the next request of cost c is
 * admitted from newTat + T*c - T*burst on). Remembering that too halves the
 * calls of a flood: the one request Redis admits per interval no longer
 * costs a second call to learn that the next one is refused. The wait is
 * derived exactly from the reported whole-ms resetMs (see
 * refusalAfterAdmission). Only requests whose every check is a GCRA window
 * spending units are derived from (a sliding window's next admission
 * depends on its previous bucket, which the answer does not carry).
 *
 * When a cached refusal ends, the first request for it asks the store and
 * the same request arriving meanwhile waits for that answer instead of
 * asking too (under a flood, several arrive within one round trip): the
 * answer is a new refusal, or an admission that implies one, or neither,
 * and then the waiters ask the store themselves. Only requests that were
 * refused wait, and for one round trip at most.
 *
 * Not cached, because the answer could differ: requests with ban
 * escalations (every refusal must count as a violation in the store),
 * requests with a distinct check (a member already in the set is admitted
 * while the window is full), refusals by a ban (lifted by an operator at
 * any time), and degraded answers. A client banned while its refusal is
 * cached is still refused: the gateway checks its ban mirror first.
 */
import type { CheckResult, EvaluateRequest, EvaluateResult } from './types.ts';

interface CachedRefusal {
  /** the first moment the request could be admitted */
  until: number;
  time: number;
  results: readonly CheckResult[];
  /** set once the refusal has ended and a request is asking the store again: its answer, awaited */
  renewal: Renewal | null;
}

interface Renewal {
  promise: Promise<void>;
  resolve: () => void;
}

export interface RefusalCache {
  /**
   * The cached refusal of this request, with its waits counted down; or a
   * promise, when the refusal has ended and the same request is already
   * asking the store (find again once it settles); or null: ask the store,
   * then call remember() with its answer, and settle() in any case.
   */
  find(request: EvaluateRequest): EvaluateResult | Promise<void> | null;
  /** remember what a store answered to this request, as a refusal when it implies one */
  remember(request: EvaluateRequest, result: EvaluateResult): void;
  /** the request is done (answered, or failed): requests waiting for it go on */
  settle(request: EvaluateRequest): void;
  readonly size: number;
  /** answers given from the cache */
  readonly hits: number;
}

export function createRefusalCache(maxEntries: number): RefusalCache {
  // insertion order = age; a full cache drops its oldest entry (entries also end by themselves)
  const entries = new Map<string, CachedRefusal>();
  let hits = 0;

  return {
    get size() {
      return entries.size;
    },
    get hits() {
      return hits;
    },

    // hot path: one string and one Map lookup per request
    find(request) {
      if (entries.size === 0) return null;
      const signature = signatureOf(request);
      if (signature === null) return null;
      const cached = entries.get(signature);
      if (cached === undefined) return null;
      const now = request.now;
      if (now < cached.time) {
        // a clock that went back: no knowledge for that moment
        end(signature, cached);
        return null;
      }
      if (now >= cached.until) {
        if (cached.renewal !== null) return cached.renewal.promise;
        // this request asks the store; the same request arriving meanwhile waits for it
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        cached.renewal = { promise, resolve };
        return null;
      }
      hits++;
      const elapsed = now - cached.time;
      const results = cached.results.map((r) => ({
        ...r,
        resetMs: Math.max(0, r.resetMs - elapsed),
        // a check whose own wait has passed would admit; the request stays refused by a later one
        allowed: r.allowed || r.retryAfterMs <= elapsed,
        retryAfterMs: r.allowed || r.retryAfterMs <= elapsed ? 0 : r.retryAfterMs - elapsed,
      }));
      return { ban: null, results, admitted: false, newBans: [], degraded: false };
    },

    remember(request, result) {
      if (maxEntries <= 0 || result.ban !== null || result.degraded || result.results.length !== request.checks.length) return;
      const refusal = result.admitted ? refusalAfterAdmission(request, result.results) : refusalOf(request, result.results);
      if (refusal === null) return;
      const signature = signatureOf(request);
      if (signature === null) return;
      const old = entries.get(signature);
      // a replaced entry is deleted first, so that the new one goes to the fresh end of the order
      if (old !== undefined) end(signature, old);
      else if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value as string;
        end(oldest, entries.get(oldest)!);
      }
      entries.set(signature, refusal);
    },

    settle(request) {
      if (entries.size === 0) return;
      const signature = signatureOf(request);
      if (signature === null) return;
      const cached = entries.get(signature);
      // an ended refusal that no answer replaced: its waiters ask the store themselves
      if (cached !== undefined && cached.renewal !== null) end(signature, cached);
    },
  };

  function end(signature: string, cached: CachedRefusal): void {
    entries.delete(signature);
    cached.renewal?.resolve();
  }
}

/**
 * A refusal by the store: refused until its last refusing check can admit
 * (each refusing check alone refuses before its own wait ends; a refusal
 * spends nothing, so no check's wait grows from it).
 */
function refusalOf(request: EvaluateRequest, results: readonly CheckResult[]): CachedRefusal | null {
  const now = request.now;
  let until = now;
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (r.allowed || request.checks[i]!.dryRun) continue;
    if (r.source !== 'store') return null;
    until = Math.max(until, now + r.retryAfterMs);
  }
  return until > now ? { until, time: now, results, renewal: null } : null;
}

/**
 * The refusal an admission implies for the same request, or null when the
 * same request could be admitted again at once, or when that cannot be told
 * exactly. Per GCRA check (gcra.ts), with x = newTat - now and
 * D = T*c - T*burst, the next request of cost c is admitted from
 * now + x + D - eps on; its resetMs R = ceil(x - eps) puts that moment in
 * (now + R - 1 + D, now + R + D]. When D is a whole number of ms and the
 * clock reads whole ms (Date.now() does), the first whole ms the store
 * admits at is therefore exactly now + R + D, and the refusal's answers
 * (remaining, resetMs, retryAfterMs = R + D) are the store's own. Windows
 * with a fractional D (1000/3 ms intervals) derive nothing.
 */
function refusalAfterAdmission(request: EvaluateRequest, results: readonly CheckResult[]): CachedRefusal | null {
  const now = request.now;
  if (!Number.isInteger(now)) return null;
  const checks = request.checks;
  let until = now;
  const refused: CheckResult[] = new Array(results.length);
  for (let i = 0; i < results.length; i++) {
    const c = checks[i]!;
    const r = results[i]!;
    if (c.algorithm !== 'gcra' || c.dryRun || c.cost <= 0 || r.source !== 'store') return null;
    const emission = c.periodMs / c.limit;
    const d = emission * c.cost - emission * c.burst;
    const wholeD = Math.round(d);
    if (Math.abs(d - wholeD) > 1e-6) return null;
    const waitMs = r.resetMs + wholeD;
    if (waitMs > 0) {
      until = Math.max(until, now + waitMs);
      refused[i] = { ...r, allowed: false, retryAfterMs: waitMs };
    } else {
      refused[i] = r;
    }
  }
  return until > now ? { until, time: now, results: refused, renewal: null } : null;
}

/** what makes two requests the same for the store; null when the request may not be cached */
function signatureOf(request: EvaluateRequest): string | null {
  if (request.escalations.length > 0) return null;
  const checks = request.checks;
  const parts: string[] = [];
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    if (c.algorithm === 'distinct') return null;
    parts.push(c.id, c.key, c.algorithm, String(c.limit), String(c.periodMs), String(c.burst), String(c.cost), c.dryRun ? '1' : '0');
  }
  return parts.join('\u0000');
}
