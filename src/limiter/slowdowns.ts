/**
 * Identities that detection decided to slow down rather than refuse (a
 * rule's `delay` action): each of their requests is held in the tarpit for
 * the decision's delay until the decision ends. A scraper slowed to one
 * request per few seconds harvests little, and a person wrongly caught still
 * gets answers.
 *
 * Kept on the instance whose detector decided (detection runs beside every
 * gateway; issue 8's shared decisions channel carries them further). The
 * list is bounded: past `max` entries the one ending soonest gives way, so a
 * flood of decisions cannot grow memory.
 */
export interface Slowdown {
  /** a ban key: "ip:…", "subnet:…", "fingerprint:…", "apikey:…", "principal:…" */
  key: string;
  /** epoch ms when the slowdown ends */
  until: number;
  /** added to each request, ms */
  delayMs: number;
  /** the detection rule that decided it */
  reason: string;
}

export interface Slowdowns {
  /** the longest delay active among `keys`, or null */
  find(keys: readonly string[], now: number): Slowdown | null;
  add(slowdown: Slowdown): void;
  remove(key: string): boolean;
  list(now: number): Slowdown[];
  readonly size: number;
}

export function createSlowdowns(max = 100_000): Slowdowns {
  const byKey = new Map<string, Slowdown>();

  function evictOne(): void {
    let soonest: Slowdown | null = null;
    for (const s of byKey.values()) if (soonest === null || s.until < soonest.until) soonest = s;
    if (soonest) byKey.delete(soonest.key);
  }

  return {
    get size() {
      return byKey.size;
    },
    find(keys, now) {
      if (byKey.size === 0) return null;
      let found: Slowdown | null = null;
      for (const key of keys) {
        const s = byKey.get(key);
        if (s === undefined) continue;
        if (s.until <= now) {
          byKey.delete(key);
          continue;
        }
        if (found === null || s.delayMs > found.delayMs) found = s;
      }
      return found;
    },
    add(slowdown) {
      const known = byKey.get(slowdown.key);
      if (known && known.until >= slowdown.until && known.delayMs >= slowdown.delayMs) return;
      if (!known && byKey.size >= max) evictOne();
      byKey.set(slowdown.key, known ? { ...slowdown, until: Math.max(known.until, slowdown.until), delayMs: Math.max(known.delayMs, slowdown.delayMs) } : slowdown);
    },
    remove(key) {
      return byKey.delete(key);
    },
    list(now) {
      return [...byKey.values()].filter((s) => s.until > now).sort((a, b) => b.until - a.until || a.key.localeCompare(b.key));
    },
  };
}
