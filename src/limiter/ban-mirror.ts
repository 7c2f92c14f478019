/**
 * A local mirror of the active bans, refreshed from the limiter store every
 * `refreshMs`. It lets the gateway refuse a banned client without a store
 * round trip on requests that no rule limits. Its error is bounded and
 * documented: a ban made by another instance (or an unban) is seen here
 * within `refreshMs` (1 s by default); bans made by this instance are seen
 * at once. Requests that rules do limit still ask the store, which has the
 * last word.
 */
import type { Ban, LimiterStore } from './types.ts';

export interface BanMirror {
  /** the longest active ban among `keys`, or null */
  find(keys: readonly string[], now: number): Ban | null;
  add(ban: Ban): void;
  remove(key: string): void;
  refresh(): Promise<void>;
  readonly size: number;
  stop(): void;
}

/** More active bans than this are not mirrored (the store still enforces them on limited requests). */
const MAX_MIRRORED = 100_000;

export function createBanMirror(store: LimiterStore, options: { refreshMs?: number; onError?: (error: unknown) => void } = {}): BanMirror {
  let bans = new Map<string, Ban>();
  let refreshing: Promise<void> | null = null;

  async function refresh(): Promise<void> {
    refreshing ??= store.listBans(Date.now(), MAX_MIRRORED).then(
      (list) => {
        const next = new Map<string, Ban>();
        for (const ban of list) next.set(ban.key, ban);
        bans = next;
      },
      // keep the last known list: a store outage must not lift every ban
      (error: unknown) => options.onError?.(error),
    ).finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  const timer = setInterval(() => void refresh(), options.refreshMs ?? 1000);
  timer.unref();

  return {
    get size() {
      return bans.size;
    },
    // hot path: a few Map lookups per request
    find(keys, now) {
      if (bans.size === 0) return null;
      let found: Ban | null = null;
      for (const key of keys) {
        const ban = bans.get(key);
        if (ban && ban.until > now && (found === null || ban.until > found.until)) found = ban;
      }
      return found;
    },
    add(ban) {
      const known = bans.get(ban.key);
      if (!known || known.until < ban.until) bans.set(ban.key, ban);
    },
    remove(key) {
      bans.delete(key);
    },
    refresh,
    stop() {
      clearInterval(timer);
    },
  };
}
