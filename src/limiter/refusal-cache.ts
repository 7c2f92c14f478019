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
}

export interface RefusalCache {
  /** the cached refusal of this request, with its waits counted down, or null */
  find(request: EvaluateRequest): EvaluateResult | null;
  /** remember a store's refusal of this request */
  remember(request: EvaluateRequest, result: EvaluateResult): void;
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
      if (now >= cached.until || now < cached.time) {
        entries.delete(signature);
        return null;
      }
      hits++;
      const elapsed = now - cached.time;
      const results = cached.results.map((r) => ({
        ...r,
        resetMs: Math.max(0, r.resetMs - elapsed),
        retryAfterMs: r.allowed ? 0 : Math.max(1, r.retryAfterMs - elapsed),
      }));
      return { ban: null, results, admitted: false, newBans: [], degraded: false };
    },

    remember(request, result) {
      if (maxEntries <= 0 || result.admitted || result.ban !== null || result.degraded || result.results.length !== request.checks.length) return;
      const signature = signatureOf(request);
      if (signature === null) return;
      let until = Number.POSITIVE_INFINITY;
      for (let i = 0; i < result.results.length; i++) {
        const r = result.results[i]!;
        if (r.allowed || request.checks[i]!.dryRun || r.source !== 'store') continue;
        until = Math.min(until, request.now + r.retryAfterMs);
      }
      if (!Number.isFinite(until) || until <= request.now) return;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(signature, { until, time: request.now, results: result.results });
    },
  };
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
