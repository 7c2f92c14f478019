/**
 * A bounded cache of verification results, keyed by a SHA-256 digest of the
 * token so that no bearer token is kept as a map key (or shows up in a heap
 * dump or a debug log of keys).
 *
 * Deadlines are absolute epoch ms on the request clock (`AuthRequest.now`),
 * checked on every hit: an entry never outlives the deadline it was stored
 * with, whatever the LRU does. The LRU only bounds memory (`max` entries);
 * expired entries are dropped when they are next looked at or evicted.
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface TokenCacheOptions {
  /** maximum number of entries (LRU eviction beyond it) */
  max: number;
}

export interface TokenCache<V> {
  /** the value stored for this token, when its deadline is still ahead of `now` */
  get(token: string, now: number): V | undefined;
  /** stores a value until `until` (epoch ms); nothing is stored when `until <= now` */
  set(token: string, value: V, until: number, now: number): void;
  delete(token: string): void;
  clear(): void;
  readonly size: number;
}

interface Entry<V> {
  value: V;
  until: number;
}

/** The cache key of a token: SHA-256, base64url. */
export function tokenDigest(token: string): string {
  // one-shot crypto.hash: no Hash object per request (hot path)
  return hash('sha256', token, 'base64url');
}

export function createTokenCache<V extends NonNullable<unknown>>(options: TokenCacheOptions): TokenCache<V> {
  if (!Number.isInteger(options.max) || options.max < 1) {
    throw new RangeError(`token cache max must be a positive integer, got ${options.max}`);
  }
  const lru = new LRUCache<string, Entry<V>>({ max: options.max });
  return {
    // hot path: one digest and one map lookup per request
    get(token, now) {
      const key = tokenDigest(token);
      const entry = lru.get(key);
      if (entry === undefined) return undefined;
      if (entry.until <= now) {
        lru.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(token, value, until, now) {
      if (!(until > now)) return;
      lru.set(tokenDigest(token), { value, until });
    },
    delete(token) {
      lru.delete(tokenDigest(token));
    },
    clear() {
      lru.clear();
    },
    get size() {
      return lru.size;
    },
  };
}
