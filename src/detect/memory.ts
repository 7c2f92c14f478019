/**
 * What was decided, so that a rule that keeps matching does not decide again
 * every few seconds: a (rule, identity) is quiet until its decision ends.
 * After that, a new offence within `resetAfter` raises the escalation level
 * (the next, longer duration); past it, the level starts over.
 *
 * Bounded: at most `max` entries; the oldest inserted goes first (an
 * identity forgotten early can be decided again, which is the safe side).
 */

interface Remembered {
  until: number;
  level: number;
  forgetAt: number;
}

export class DecisionMemory {
  readonly #entries = new Map<string, Remembered>();
  readonly #max: number;
  #lastSweep = 0;

  constructor(max: number) {
    this.#max = max;
  }

  static key(rule: string, kind: string, value: string): string {
    return `${rule}\u0000${kind}\u0000${value}`;
  }

  isActive(key: string, now: number): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.until > now;
  }

  /** the level a decision made now would have */
  nextLevel(key: string, now: number): number {
    const entry = this.#entries.get(key);
    return entry !== undefined && now < entry.forgetAt ? entry.level + 1 : 1;
  }

  remember(key: string, until: number, level: number, resetAfterMs: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, { until, level, forgetAt: until + resetAfterMs });
  }

  /** drops what is forgotten (at most once a minute: O(entries)) */
  sweep(now: number): void {
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#entries) if (entry.forgetAt <= now) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
