/**
 * The event ids an analyser has analysed lately, to skip a redelivered
 * batch in the in-memory analysis (the store skips it by itself). Bounded:
 * past `max` ids the oldest is forgotten; a redelivery comes within the
 * consumer's ack wait, long before a million newer events.
 */
export class RecentIds {
  readonly #max: number;
  readonly #ids = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  /** remembers `id`; false when it was already there */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    // a Set iterates in insertion order: the first is the oldest
    if (this.#ids.size > this.#max) this.#ids.delete(this.#ids.values().next().value!);
    return true;
  }

  get size(): number {
    return this.#ids.size;
  }
}
