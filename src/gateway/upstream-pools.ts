import { Pool } from 'undici';
import type { CompiledUpstream } from './plan.ts';

/**
 * Keeps one undici pool per upstream origin and pool settings across
 * reloads, so a reload keeps warm keep-alive connections and a removed
 * upstream's pool is closed only after its in-flight requests finish.
 */
export interface UpstreamPools {
  get(upstream: CompiledUpstream): Pool;
  /** close pools that no upstream of the given list uses any more */
  retain(upstreams: readonly CompiledUpstream[]): Promise<void>;
  close(): Promise<void>;
}

function keyOf(upstream: CompiledUpstream): string {
  const c = upstream.config;
  return `${upstream.origin}|${c.connections}|${c.timeoutMs}|${c.bodyTimeoutMs}`;
}

export function createUpstreamPools(): UpstreamPools {
  const pools = new Map<string, Pool>();
  // hot path: the pool is looked up once per upstream object and cached on a WeakMap
  const byUpstream = new WeakMap<CompiledUpstream, Pool>();
  return {
    get(upstream) {
      let pool = byUpstream.get(upstream);
      if (pool) return pool;
      const key = keyOf(upstream);
      pool = pools.get(key);
      if (!pool) {
        pool = new Pool(upstream.origin, {
          connections: upstream.config.connections,
          pipelining: 1,
          keepAliveTimeout: 4_000,
          // keep-alive races: an upstream that closes an idle socket just as we reuse it
          keepAliveTimeoutThreshold: 1_000,
          headersTimeout: upstream.config.timeoutMs,
          bodyTimeout: upstream.config.bodyTimeoutMs,
          connectTimeout: Math.min(upstream.config.timeoutMs, 10_000),
        });
        pools.set(key, pool);
      }
      byUpstream.set(upstream, pool);
      return pool;
    },
    async retain(upstreams) {
      const keep = new Set(upstreams.map(keyOf));
      const closing: Promise<void>[] = [];
      for (const [key, pool] of pools) {
        if (!keep.has(key)) {
          pools.delete(key);
          closing.push(pool.close());
        }
      }
      await Promise.all(closing);
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  };
}
